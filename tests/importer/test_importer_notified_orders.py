"""The orders an event run reads: one getOrder per notified order however often and in whatever order the
notifications name it, an order Amazon lacks skipped, and the inbox keeping the newest version when a
later run stores an older one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from amazon_passweb.amazon.errors import MalformedResponseError, SpApiError
from amazon_passweb.amazon.notifications import OrderChange
from amazon_passweb.importer.notified_orders import (
    CURSOR_SLACK,
    NotifiedFetch,
    changes_of,
    events_after,
    latest_by_order,
    newest_asset_event,
    newest_event,
    notified_pages,
)
from amazon_passweb.importer.steps import fetch_into_inbox
from amazon_passweb.orders.status import AmazonStatus
from amazon_passweb.site.notifications import AssetEventMark
from tests.importer.importer_helpers import amazon_order, newer_version

T0 = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def change(order_id: str, minutes: int, status: str = "Unshipped") -> OrderChange:
    return OrderChange(order_id=order_id, seller_id="A1STANDINSELLER", marketplace_id="APJ6JRA9NG5V4",
                       change_type="OrderStatusChange", event_time=T0 + timedelta(minutes=minutes),
                       notification_id=None, order_status=status)


class FakeOrders:
    """``OrdersClient.get_order`` answering from a dict; an id it lacks answers 404, one marked unreadable
    raises what the client raises for an order it cannot map."""

    def __init__(self, orders: dict, unreadable: tuple[str, ...] = ()):
        self.orders, self.unreadable, self.asked = orders, unreadable, []

    def get_order(self, order_id: str):
        self.asked.append(order_id)
        if order_id in self.unreadable:
            raise MalformedResponseError("getOrder", 200, "InvalidOrder", "cannot be read")
        if order_id not in self.orders:
            raise SpApiError("getOrder", 404, "NotFound", f"Order {order_id} was not found.")
        return self.orders[order_id]


def test_the_latest_change_of_each_order_in_the_order_amazon_made_them():
    latest = latest_by_order([change("B", 5), change("A", 1), change("B", 2), change("B", 5), change("C", 3)])
    assert [(c.order_id, c.event_time) for c in latest] == [
        ("A", T0 + timedelta(minutes=1)), ("C", T0 + timedelta(minutes=3)), ("B", T0 + timedelta(minutes=5))]
    assert newest_event([change("A", 1), change("B", 7)]) == T0 + timedelta(minutes=7)
    assert newest_event([]) is None


def test_changes_come_from_every_triggering_event_and_unreadable_ones_are_left_out(caplog):
    events = {"asset": [SimpleNamespace(extra={"payload": {"changes": [change("A", 1).as_dict(), {"order_id": "X"}]}}),
                        SimpleNamespace(extra={"payload": {"changes": [change("B", 2).as_dict()]}}),
                        SimpleNamespace(extra={}), SimpleNamespace(extra=None)]}
    assert [c.order_id for c in changes_of(events)] == ["A", "B"]
    assert "1 order change(s) in the asset events could not be read" in caplog.text
    assert changes_of(None) == [] and changes_of({}) == []


def test_each_order_read_once_in_pages_and_the_missing_skipped():
    orders = {f"O-{n}": amazon_order(order_id=f"403-{n:07d}-0000001") for n in range(5)}
    client = FakeOrders(orders, unreadable=("O-3",))
    outcome = NotifiedFetch()
    changes = latest_by_order([change(f"O-{n}", n) for n in range(5)] + [change("O-1", 0), change("GONE", 9)])
    pages = list(notified_pages(client, changes, outcome, page=2))
    assert sorted(client.asked) == sorted(["O-0", "O-1", "O-2", "O-3", "O-4", "GONE"])
    assert [len(page) for page in pages] == [2, 2]
    assert (outcome.missing, outcome.unreadable) == (["GONE"], ["O-3"])


def test_another_amazon_error_fails_the_read():
    class Failing(FakeOrders):
        def get_order(self, order_id):
            raise SpApiError("getOrder", 403, "Unauthorized", "Access to requested resource is denied.")

    try:
        list(notified_pages(Failing({}), [change("A", 1)], NotifiedFetch()))
    except SpApiError as error:
        assert error.status == 403
    else:
        raise AssertionError("a refused read must fail the fetch")


def test_a_late_or_repeated_notification_never_brings_an_older_version_back(store, it_main):
    old = amazon_order(status=AmazonStatus.UNSHIPPED)
    new = newer_version(old, status=AmazonStatus.SHIPPED)
    # the newer version read first (its notification came first), then the older one, then the newer again
    for version, expected in ((new, (1, 0)), (old, (0, 0)), (new, (0, 0))):
        client = FakeOrders({old.amazon_order_id: version})
        counts = fetch_into_inbox(store, notified_pages(client, [change(old.amazon_order_id, 1)], NotifiedFetch()),
                                  it_main, "asset_triggered__x")
        assert (counts.inserted, counts.updated) == expected
    with store.unit_of_work(read_only=True) as uow:
        kept = uow.inbox.get(it_main.id, old.amazon_order_id)
    assert kept.last_update == new.last_update_date and kept.amazon_status == AmazonStatus.SHIPPED.value


class FakeInletEvents:
    """The asset's inlet events accessor as the task runner gives it: ``after`` narrows by time (>=)."""

    def __init__(self, events):
        self.events, self.asked_after = events, None

    def after(self, moment: str):
        self.asked_after = datetime.fromisoformat(moment)
        return [event for event in self.events if event.timestamp >= self.asked_after]


def asset_event(event_id: int, at: datetime, *order_ids: str):
    changes = [OrderChange(order_id=o, seller_id="A1", marketplace_id=None, change_type="OrderStatusChange",
                           event_time=at, notification_id=None, order_status=None).as_dict() for o in order_ids]
    return SimpleNamespace(id=event_id, timestamp=at, extra={"payload": {"changes": changes}})


def test_a_run_consumes_every_event_after_the_last_consumed_also_those_that_started_no_run():
    t0 = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)
    stored = [asset_event(i, t0 + timedelta(seconds=10 * i), f"ORDER-{i}") for i in range(1, 7)]
    # Airflow gave this run only event 4 (the first queued while the previous run was active); 5 and 6
    # arrived during that wait and would start no run of their own.
    triggering = [SimpleNamespace(timestamp=stored[3].timestamp, extra=stored[3].extra)]
    inlet = FakeInletEvents(stored)
    consumed = AssetEventMark(3, stored[2].timestamp)
    events = events_after(triggering, inlet, consumed)
    assert [event.id for event in events] == [4, 5, 6]
    assert inlet.asked_after == stored[2].timestamp - CURSOR_SLACK
    assert [change.order_id for change in changes_of([events])] == ["ORDER-4", "ORDER-5", "ORDER-6"]
    assert newest_asset_event(events) == AssetEventMark(6, stored[5].timestamp)
    # the next run, triggered by event 5's reference, finds nothing left to consume
    assert events_after(triggering, FakeInletEvents(stored), AssetEventMark(6, stored[5].timestamp)) == []


def test_an_accounts_first_event_run_reads_from_its_earliest_triggering_event():
    t0 = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)
    stored = [asset_event(1, t0 - timedelta(days=2), "OLD"), asset_event(2, t0, "NEW"),
              asset_event(3, t0 + timedelta(seconds=5), "NEWER")]
    triggering = [SimpleNamespace(timestamp=t0, extra=stored[1].extra)]
    assert [event.id for event in events_after(triggering, FakeInletEvents(stored), None)] == [2, 3]


def test_without_the_inlet_accessor_the_triggering_events_are_consumed_and_no_mark_is_kept():
    t0 = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)
    triggering = [SimpleNamespace(timestamp=t0, extra=asset_event(1, t0, "A").extra)]
    events = events_after(triggering, None, None)
    assert [change.order_id for change in changes_of([events])] == ["A"]
    assert newest_asset_event(events) is None
