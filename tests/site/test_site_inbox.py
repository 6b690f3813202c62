from datetime import UTC, datetime, timedelta

import pytest
from site_builders import address, private_buyer

from amazon_passweb.site import InboxItem, InboxStatus, NotFound, SiteStore, UpsertResult

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _item(order_id: str = "171-1", when: datetime = T0, status: str = "UNSHIPPED") -> InboxItem:
    payload = {"orderId": order_id, "buyer": {"email": "x@marketplace.amazon.it"}, "status": status}
    return InboxItem(order_id, when, payload, marketplace_id="APJ6JRA9NG5V4", amazon_status=status)


def test_upsert_keeps_the_newest_version(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        assert uow.inbox.upsert("acc", _item()) == UpsertResult.INSERTED
        assert uow.inbox.upsert("acc", _item()) == UpsertResult.UNCHANGED
        later = _item(when=T0 + timedelta(hours=1), status="SHIPPED")
        assert uow.inbox.upsert("acc", later) == UpsertResult.UPDATED
        older = _item(when=T0 - timedelta(hours=1), status="PENDING")
        assert uow.inbox.upsert("acc", older) == UpsertResult.UNCHANGED
        entry = uow.inbox.get("acc", "171-1")
    assert entry.last_update == T0 + timedelta(hours=1)
    assert entry.amazon_status == "SHIPPED"
    assert entry.payload["status"] == "SHIPPED"
    assert entry.status == InboxStatus.NEW


def test_same_order_id_in_two_accounts_is_two_entries(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        uow.inbox.upsert("a", _item())
        uow.inbox.upsert("b", _item())
        assert len(uow.inbox.entries("a")) == len(uow.inbox.entries("b")) == 1


def test_newer_version_requeues_unimported_orders_only(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        uow.inbox.upsert("acc", _item("A"))
        uow.inbox.upsert("acc", _item("B"))
        uow.inbox.mark("acc", "A", InboxStatus.SKIPPED, run_id="r1", message="status PENDING not imported")
        uow.inbox.mark("acc", "B", InboxStatus.IMPORTED, run_id="r1")
        uow.inbox.upsert("acc", _item("A", T0 + timedelta(minutes=5)))
        uow.inbox.upsert("acc", _item("B", T0 + timedelta(minutes=5), status="SHIPPED"))
        assert uow.inbox.get("acc", "A").status == InboxStatus.NEW
        assert uow.inbox.get("acc", "B").status == InboxStatus.IMPORTED


def test_mark_records_errors_attempts_and_history(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        uow.inbox.upsert("acc", _item())
        uow.inbox.mark("acc", "171-1", InboxStatus.SELECTED, run_id="r1")
        uow.inbox.mark("acc", "171-1", InboxStatus.FAILED, run_id="r1", message="SKU XYZ sconosciuto")
        uow.inbox.mark("acc", "171-1", InboxStatus.FAILED, run_id="r2", message="SKU XYZ sconosciuto")
        failed = uow.inbox.get("acc", "171-1")
        uow.inbox.mark("acc", "171-1", InboxStatus.IMPORTED, run_id="r3", order_id=None)
        done = uow.inbox.get("acc", "171-1")
        history = uow.inbox.history("acc", "171-1")
        with pytest.raises(NotFound):
            uow.inbox.mark("acc", "missing", InboxStatus.SKIPPED)
    assert failed.status == InboxStatus.FAILED and failed.attempts == 2
    assert failed.last_error == "SKU XYZ sconosciuto"
    assert done.last_error is None
    assert [(h.run_id, h.outcome) for h in history] == [
        ("r1", "selected"),
        ("r1", "failed"),
        ("r2", "failed"),
        ("r3", "imported"),
    ]
    assert all(h.at.tzinfo is not None for h in history)


def test_entries_filter_by_status_and_amazon_status(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        uow.inbox.upsert("acc", _item("1", T0, "UNSHIPPED"))
        uow.inbox.upsert("acc", _item("2", T0 + timedelta(seconds=1), "PENDING"))
        uow.inbox.upsert("acc", _item("3", T0 + timedelta(seconds=2), "SHIPPED"))
        uow.inbox.mark("acc", "3", InboxStatus.IMPORTED)
        wanted = uow.inbox.entries("acc", statuses=[InboxStatus.NEW], amazon_statuses=["UNSHIPPED", "SHIPPED"])
        everything = uow.inbox.entries("acc")
        counts = uow.inbox.counts("acc")
    assert [e.amazon_order_id for e in wanted] == ["1"]
    assert [e.amazon_order_id for e in everything] == ["1", "2", "3"]
    assert counts == {InboxStatus.NEW: 2, InboxStatus.IMPORTED: 1}


def test_payload_may_be_given_as_json_text(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        uow.inbox.upsert("acc", InboxItem("J", T0, '{"a": [1, 2]}'))
        assert uow.inbox.get("acc", "J").payload == {"a": [1, 2]}


def test_reconcile_result_and_run_history(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        customer = uow.customers.get_or_create(private_buyer(1), address(1))
        addr = uow.customers.get_or_add_address(customer.customer.id, address(1))
        uow.inbox.upsert("acc", _item("R"))
        uow.inbox.upsert("acc", _item("AFN"))
        uow.inbox.mark("acc", "R", InboxStatus.SELECTED, run_id="run-1")
        uow.inbox.mark_reconciled(
            "acc",
            "R",
            run_id="run-1",
            customer_id=customer.customer.id,
            customer_new=True,
            address_id=addr.address.id,
            address_new=True,
        )
        uow.inbox.mark_reconciled("acc", "AFN", run_id="run-1")
        uow.inbox.add_history("acc", "R", run_id="run-2", outcome="pushed", message="documento OC 2/1")
        reconciled = uow.inbox.get("acc", "R")
        afn = uow.inbox.get("acc", "AFN")
        steps = uow.inbox.run_history("acc", "run-1")
        later = uow.inbox.run_history("acc", "run-2")
        queued = uow.inbox.entries("acc", statuses=[InboxStatus.RECONCILED])
    assert reconciled.status == InboxStatus.RECONCILED
    assert (reconciled.customer_id, reconciled.shipping_address_id) == (customer.customer.id, addr.address.id)
    assert reconciled.customer_new and reconciled.address_new
    assert (afn.customer_id, afn.shipping_address_id, afn.customer_new) == (None, None, False)
    assert [(s.amazon_order_id, s.outcome) for s in steps] == [
        ("R", "selected"),
        ("R", "reconciled"),
        ("AFN", "reconciled"),
    ]
    assert [(s.amazon_order_id, s.outcome, s.message) for s in later] == [("R", "pushed", "documento OC 2/1")]
    assert len(queued) == 2
