"""The account's SQS queue read as Airflow's triggerer reads it, against a real SQS server (moto's):
one event with only the order changes of the account's seller, the messages deleted from the queue."""

from __future__ import annotations

import asyncio
import json

import pytest

from amazon_passweb.orchestration.order_change_trigger import OrderChangeTrigger
from tests.dags.order_change_messages import order_change_body

SELLER = "A1STANDINSELLER"
CONN_ID = "aws_notifications_test"


@pytest.fixture
def queue(local_sqs, monkeypatch, request):
    monkeypatch.setenv(*local_sqs.connection_env(CONN_ID).popitem())
    client = local_sqs.client()
    url = client.create_queue(QueueName=f"orders-{request.node.name[-40:].replace('[', '-').strip(']')}")["QueueUrl"]
    yield client, url
    client.delete_queue(QueueUrl=url)


def _first_event(trigger: OrderChangeTrigger, timeout_s: float = 60):
    async def first():
        async for event in trigger.run():
            return event
    return asyncio.run(asyncio.wait_for(first(), timeout_s))


def _left(client, url) -> int:
    attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_the_event_carries_only_the_sellers_order_changes_and_the_messages_are_deleted(queue, capsys):
    client, url = queue
    bodies = [order_change_body("403-0000001-0000001", SELLER), order_change_body("403-0000002-0000002", SELLER),
              order_change_body("403-9999999-9999999", "A2OTHERSELLER", postal_code="00199"), "not json {"]
    client.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)])
    trigger = OrderChangeTrigger(url, seller_id=SELLER, aws_conn_id=CONN_ID, wait_time_seconds=1)
    event = _first_event(trigger)
    payload = event.payload
    assert set(payload) == {"status", "changes"} and payload["status"] == "success"
    assert sorted(change["order_id"] for change in payload["changes"]) == ["403-0000001-0000001", "403-0000002-0000002"]
    for change in payload["changes"]:
        assert set(change) == {"order_id", "seller_id", "marketplace_id", "change_type", "event_time",
                               "notification_id", "order_status"}
    stored = json.dumps(payload)
    assert "20121" not in stored and "SKU-SECRET-1" not in stored and "Summary" not in stored
    assert _left(client, url) == 0, "every message received is deleted, the dropped ones too"
    log = capsys.readouterr().out  # the trigger's logger writes as the triggerer's does
    assert "1 unreadable message(s) and 1 for another seller dropped" in log
    assert "00199" not in log and "403-9999999-9999999" not in log and "not json" not in log


def test_without_a_seller_every_readable_message_counts_and_an_empty_queue_is_polled_again(queue):
    client, url = queue
    trigger = OrderChangeTrigger(url, aws_conn_id=CONN_ID, wait_time_seconds=1, waiter_delay=0)

    async def send_later():
        await asyncio.sleep(1.5)  # at least one empty long poll first
        await asyncio.to_thread(client.send_message, QueueUrl=url,
                                MessageBody=order_change_body("403-0000003-0000003", "A2OTHERSELLER"))

    async def run():
        sender = asyncio.create_task(send_later())
        async for event in trigger.run():
            await sender
            return event
    event = asyncio.run(asyncio.wait_for(run(), 60))
    assert [change["order_id"] for change in event.payload["changes"]] == ["403-0000003-0000003"]
    assert _left(client, url) == 0


def test_the_trigger_long_polls_by_default():
    trigger = OrderChangeTrigger("https://sqs.eu-west-1.amazonaws.com/123456789012/q", seller_id=SELLER)
    classpath, kwargs = trigger.serialize()
    assert classpath == "amazon_passweb.orchestration.order_change_trigger.OrderChangeTrigger"
    assert (kwargs["wait_time_seconds"], kwargs["max_messages"], kwargs["seller_id"]) == (20, 10, SELLER)
    assert OrderChangeTrigger(**kwargs).delete_message_on_reception is True


def test_a_queue_that_cannot_be_read_yet_is_tried_again(local_sqs, monkeypatch, capsys):
    """The queue is created only after the trigger started: the failed reads are logged and retried."""
    monkeypatch.setenv(*local_sqs.connection_env(CONN_ID).popitem())
    client = local_sqs.client()
    url = f"{local_sqs.endpoint_url}/123456789012/orders-created-late"
    trigger = OrderChangeTrigger(url, aws_conn_id=CONN_ID, wait_time_seconds=1, waiter_delay=0)

    async def create_later():
        await asyncio.sleep(1)
        created = await asyncio.to_thread(client.create_queue, QueueName="orders-created-late")
        assert created["QueueUrl"] == url
        await asyncio.to_thread(client.send_message, QueueUrl=url,
                                MessageBody=order_change_body("403-0000004-0000004", SELLER))

    async def run():
        creator = asyncio.create_task(create_later())
        async for event in trigger.run():
            await creator
            return event
    try:
        event = asyncio.run(asyncio.wait_for(run(), 60))
    finally:
        client.delete_queue(QueueUrl=url)
    assert [change["order_id"] for change in event.payload["changes"]] == ["403-0000004-0000004"]
    assert "reading failed" in capsys.readouterr().out
