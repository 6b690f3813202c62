"""The cancellations store (``site.cancellations``), on SQLite and PostgreSQL: each event is recorded
once, a pending cancellation leaves ``pending`` exactly once, a buyer's request is kept apart."""

from __future__ import annotations

from site_builders import address, order, private_buyer

from amazon_passweb.site import SiteStore
from amazon_passweb.site.cancellations import CancellationStatus


def _order(store: SiteStore, amazon_order_id: str) -> int:
    with store.unit_of_work() as uow:
        customer = uow.customers.get_or_create(private_buyer(1), address(1)).customer
        return uow.orders.create(order(amazon_order_id=amazon_order_id, customer_id=customer.id)).order.id


def test_a_cancellation_is_recorded_once_and_settled_once(store: SiteStore) -> None:
    first, second = _order(store, "407-0000000-0000001"), _order(store, "407-0000000-0000002")
    with store.unit_of_work() as uow:
        assert uow.cancellations.record_cancelled(first, "it_main", CancellationStatus.PENDING)
        assert not uow.cancellations.record_cancelled(first, "it_main", CancellationStatus.PENDING)
        assert uow.cancellations.record_cancelled(second, "it_main", CancellationStatus.APPLIED)
    with store.unit_of_work() as uow:
        assert uow.cancellations.pending("it_main") == [first]
        assert uow.cancellations.pending("other") == []
        assert uow.cancellations.get(second).settled_at is not None
        assert uow.cancellations.settle(first, CancellationStatus.AFTER_SHIPPING)
        assert not uow.cancellations.settle(first, CancellationStatus.APPLIED), "no longer pending"
    with store.unit_of_work(read_only=True) as uow:
        record = uow.cancellations.get(first)
        assert record.status is CancellationStatus.AFTER_SHIPPING and record.settled_at >= record.cancelled_at
        assert uow.cancellations.pending("it_main") == []


def test_a_buyers_request_is_flagged_once_and_kept_when_amazon_cancels(store: SiteStore) -> None:
    order_id = _order(store, "407-0000000-0000003")
    with store.unit_of_work() as uow:
        assert uow.cancellations.record_request(order_id, "it_main", "REASON_NO_LONGER_NEEDED")
        assert not uow.cancellations.record_request(order_id, "it_main", "another reason")
    with store.unit_of_work() as uow:
        assert uow.cancellations.get(order_id).status is None
        assert uow.cancellations.record_cancelled(order_id, "it_main", CancellationStatus.PENDING)
    with store.unit_of_work(read_only=True) as uow:
        record = uow.cancellations.get(order_id)
        assert record.status is CancellationStatus.PENDING
        assert record.request_reason == "REASON_NO_LONGER_NEEDED" and record.requested_at is not None
        assert set(uow.cancellations.many([order_id])) == {order_id}


def test_a_page_of_cancellations_and_requests_is_recorded_once_each(store: SiteStore) -> None:
    first, second, third = (_order(store, f"407-0000000-000001{n}") for n in (1, 2, 3))
    with store.unit_of_work() as uow:
        assert uow.cancellations.record_requests_many("it_main", {first: "REASON_A", second: None}) == {first, second}
        assert uow.cancellations.record_requests_many("it_main", {first: "REASON_B", third: "REASON_C"}) == {third}
        assert uow.cancellations.record_cancelled_many("it_main", {}) == set()
    with store.unit_of_work() as uow:  # first: a request row already there; second: a new row
        assert uow.cancellations.record_cancelled_many("it_main", {
            first: CancellationStatus.PENDING, second: CancellationStatus.APPLIED}) == {first, second}
        assert uow.cancellations.record_cancelled_many("it_main", {
            first: CancellationStatus.APPLIED, third: CancellationStatus.PENDING}) == {third}
    with store.unit_of_work(read_only=True) as uow:
        records = uow.cancellations.many([first, second, third])
    assert records[first].status is CancellationStatus.PENDING and records[first].request_reason == "REASON_A"
    assert records[first].settled_at is None and records[first].cancelled_at is not None
    assert records[second].status is CancellationStatus.APPLIED and records[second].settled_at is not None
    assert records[second].requested_at is not None and records[second].request_reason is None
    assert records[third].status is CancellationStatus.PENDING and records[third].request_reason == "REASON_C"


def test_a_request_after_amazons_cancellation_is_added_to_its_row(store: SiteStore) -> None:
    order_id = _order(store, "407-0000000-0000021")
    with store.unit_of_work() as uow:
        assert uow.cancellations.record_cancelled_many("it_main", {order_id: CancellationStatus.PENDING})
        assert uow.cancellations.record_requests_many("it_main", {order_id: "REASON_LATE"}) == {order_id}
    with store.unit_of_work(read_only=True) as uow:
        record = uow.cancellations.get(order_id)
    assert record.status is CancellationStatus.PENDING and record.request_reason == "REASON_LATE"
