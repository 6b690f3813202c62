"""The account's SQS queue, read in Airflow's triggerer: each batch of Amazon ORDER_CHANGE notifications
becomes one asset event, and so one event run of the account DAG.

Airflow stores an asset event's payload in its metadata database and shows it in its UI, so the
event carries only what the run needs (which order changed, when, how: ``OrderChange.as_dict()``);
the notification's Summary (postal code, SKUs, amounts) is never passed on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from typing import Any

from airflow.providers.amazon.aws.triggers.sqs import SqsSensorTrigger
from airflow.triggers.base import TriggerEvent

LONG_POLL_S = 20  # SQS's longest wait: an idle queue costs one request every 20 s
MAX_MESSAGES = 10  # SQS's largest batch
EMPTY_POLL_PAUSE_S = 1  # after an empty long poll; the base class's 60 s would delay the next order
MAX_ERROR_PAUSE_S = 60  # between attempts while the queue cannot be read (doubling from 2 s)


class OrderChangeTrigger(SqsSensorTrigger):
    """``SqsSensorTrigger`` whose event is ``{"status": "success", "changes": [OrderChange.as_dict(), ...]}``.

    Messages are deleted as soon as they are received (the base class's ``delete_message_on_reception``):
    a notification lost after that (the triggerer stopping before the event is stored, a run failing) is
    not read again, and the account's scheduled run, which reads every order changed since its
    watermark, imports that order anyway. Unreadable messages and messages naming another seller than
    ``seller_id`` are dropped, counted in the triggerer's log without their content. A queue that cannot
    be read is tried again, less and less often, with a warning in the triggerer's log each time; the
    scheduled runs go on meanwhile.
    """

    def __init__(self, sqs_queue: str, *, seller_id: str | None = None, aws_conn_id: str | None = "aws_default",
                 region_name: str | None = None, wait_time_seconds: int = LONG_POLL_S,
                 max_messages: int = MAX_MESSAGES, waiter_delay: int = EMPTY_POLL_PAUSE_S, **kwargs: Any):
        kwargs.pop("delete_message_on_reception", None)
        super().__init__(sqs_queue, aws_conn_id=aws_conn_id, region_name=region_name,
                         wait_time_seconds=wait_time_seconds, max_messages=max_messages, waiter_delay=waiter_delay,
                         delete_message_on_reception=True, **kwargs)
        self.seller_id = seller_id

    def serialize(self) -> tuple[str, dict[str, Any]]:
        # The base class names ``self.__class__``: the triggerer rebuilds this class, with the seller.
        classpath, kwargs = super().serialize()
        kwargs.pop("delete_message_on_reception", None)
        return classpath, {**kwargs, "seller_id": self.seller_id}

    def changes(self, messages: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The order changes the messages announce, for this seller only, as JSON-safe dicts."""
        from amazon_passweb.amazon.notifications import NotificationError, parse_order_change

        changes, unreadable, other_seller = [], 0, 0
        for message in messages:
            try:
                change = parse_order_change(message.get("Body") or "")
            except NotificationError:
                unreadable += 1
                continue
            if self.seller_id is not None and change.seller_id != self.seller_id:
                other_seller += 1
                continue
            changes.append(change.as_dict())
        if unreadable or other_seller:
            self.log.warning("queue %s: %d unreadable message(s) and %d for another seller dropped",
                             self.sqs_queue, unreadable, other_seller)
        return changes

    async def run(self) -> AsyncIterator[TriggerEvent]:
        self.log.info("listening for Amazon order changes on %s", self.sqs_queue)
        failures = 0
        while True:
            try:
                async with await self.hook.get_async_conn() as client:
                    messages = await self.poke(client=client)
            except Exception as error:  # SQS unreachable, the queue missing, a refused key: keep listening
                failures += 1
                pause = min(MAX_ERROR_PAUSE_S, 2 ** min(failures, 6))
                self.log.warning("queue %s: reading failed (%s), trying again in %d s", self.sqs_queue,
                                 type(error).__name__, pause)
                await asyncio.sleep(pause)
                continue
            failures = 0
            changes = self.changes(messages)
            if changes:
                self.log.info("queue %s: %d order change(s) received", self.sqs_queue, len(changes))
                yield TriggerEvent({"status": "success", "changes": changes})
                return
            if not messages:  # a batch of dropped messages is followed by the next poll at once
                await asyncio.sleep(self.waiter_delay)
