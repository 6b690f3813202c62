"""A run started by Amazon's notifications, through the account DAG's own task bodies against the Amazon
and gestionale stand-ins: the orders the notifications name are read once each, stored through the inbox
and carried to the gestionale like any other; an order Amazon does not have is skipped; the watermark
stays where the previous run left it; the site records what was received; the email says why it ran."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, text

from amazon_passweb.amazon.notifications import OrderChange
from amazon_passweb.importer.pipeline import IMPORT_STEPS
from amazon_passweb.orchestration import account_tasks as tasks
from amazon_passweb.site.unit_of_work import open_site_store
from tests.reliability.crash_worker import FakeTaskInstance
from tests.reliability.hostile_pipeline import generated_it_orders
from tests.reliability.reliability_fixtures import ACCOUNT_ID, MEMORIZZATO, read_outcome, running_services

SELLER = "A1STANDINSELLER"
T0 = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def change(order_id: str, minutes: int) -> dict:
    return OrderChange(order_id=order_id, seller_id=SELLER, marketplace_id="APJ6JRA9NG5V4",
                       change_type="OrderStatusChange", event_time=T0 + timedelta(minutes=minutes),
                       notification_id=f"n-{order_id}-{minutes}", order_status="Unshipped").as_dict()


def asset_events(*batches: list[dict]) -> dict:
    """``context["triggering_asset_events"]`` as the task SDK gives it: asset → its events, each with the
    trigger's payload under ``extra["payload"]``."""
    from airflow.sdk import Asset

    asset = Asset(name=f"amazon_order_changes__{ACCOUNT_ID}")
    events = [SimpleNamespace(extra={"from_trigger": True, "payload": {"status": "success", "changes": batch}})
              for batch in batches]
    return {asset: events}


def run_tasks(monkeypatch, run_id: str, run_type: str, *, window_start: str | None = None,
              events: dict | None = None) -> dict:
    context = {"run_id": run_id, "dag_run": SimpleNamespace(run_type=run_type, conf={}),
               "params": {"window_start": window_start, "dry_run": False}, "ti": FakeTaskInstance(None),
               "data_interval_start": None, "data_interval_end": None}
    if events is not None:
        context["triggering_asset_events"] = events
    monkeypatch.setattr(tasks, "_context", lambda: context)
    summary: dict = {}
    for name in IMPORT_STEPS:
        summary = tasks.fetch(ACCOUNT_ID) if name == "fetch" else getattr(tasks, name)(ACCOUNT_ID, summary)
    return summary


def watermark(url: str):
    engine = create_engine(url)
    with engine.connect() as db:
        value = db.execute(text("SELECT watermark FROM account_state WHERE account = :a"), {"a": ACCOUNT_ID}).scalar()
    engine.dispose()
    return value


@pytest.mark.slow
def test_an_event_run_imports_the_notified_orders_once_and_keeps_the_watermark(tmp_path, monkeypatch):
    orders = generated_it_orders(60, seed=11)[:5]
    ids = [order["orderId"] for order in orders]
    with running_services(tmp_path, orders) as services:
        for name, value in services.env().items():
            monkeypatch.setenv(name, value)
        # A scheduled run whose window holds none of these orders (they are older): it sets the watermark.
        recent = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        first = run_tasks(monkeypatch, "scheduled__1", "scheduled", window_start=recent)
        assert first["fetched"] == 0 and first["watermark_after"]
        before = watermark(services.site_url)
        calls_before = dict(services.amazon.state.counters.calls)

        # Two batches of notifications: one order twice (a duplicate delivery), one order's older change
        # arriving after its newer one, and an order Amazon does not have.
        events = asset_events([change(ids[0], 1), change(ids[1], 5), change(ids[1], 5)],
                              [change(ids[2], 3), change(ids[1], 2), change("403-0000000-0000000", 4)])
        summary = run_tasks(monkeypatch, "asset_triggered__2", "DagRunType.ASSET_TRIGGERED", events=events)
        calls = {name: count - calls_before.get(name, 0)
                 for name, count in services.amazon.state.counters.calls.items()}
        outcome = read_outcome(services)
        after = watermark(services.site_url)
        mails = sorted((tmp_path / "mail").iterdir())
        store = open_site_store(services.site_url, pii_key=services.pii_key)
        try:
            with store.unit_of_work(read_only=True) as uow:
                received = uow.notifications.status([ACCOUNT_ID])[ACCOUNT_ID]
        finally:
            store.dispose()

    assert summary["kind"] == "event" and summary["window_start"] == summary["window_end"]
    assert (summary["notifications"], summary["notified"], summary["notified_missing"]) == (6, 4, 1)
    assert summary["fetched"] == 3 and summary["created"] == 3 and summary["pushed"] == 3
    assert calls.get("getOrder") == 4, "each notified order read once, the unknown one included"
    assert not calls.get("searchOrders"), "an event run reads no period"
    assert after == before and summary["watermark_after"] == first["watermark_after"]
    assert sorted(o["amazon_order_id"] for o in outcome.site_orders) == sorted(ids[:3])
    assert {o["state"] for o in outcome.site_orders} == {MEMORIZZATO}
    assert (received.received_total, received.last_event_at) == (6, T0 + timedelta(minutes=5))
    report = email.message_from_bytes(mails[-1].read_bytes(), policy=policy.default)
    body = report.get_body(preferencelist=("plain",)).get_content()
    assert "avviata dalle notifiche Amazon" in body
    assert "6 notifiche per 4 ordini, 3 letti da Amazon, 1 non letti" in body
