from datetime import UTC, datetime
from decimal import Decimal

import pytest
from site_builders import address, order, private_buyer, rows

from amazon_passweb.site import (
    CustomerKind,
    DocumentSigla,
    NotFound,
    OrderRowData,
    OrderState,
    RowKind,
    SiteStore,
    StateConflict,
)


def _customer_and_address(store: SiteStore) -> tuple[int, int]:
    with store.unit_of_work() as uow:
        customer = uow.customers.get_or_create(private_buyer(1), address(1)).customer
        addr = uow.customers.get_or_add_address(customer.id, address(1)).address
    return customer.id, addr.id


def test_order_is_created_registrato_with_its_rows(store: SiteStore) -> None:
    customer_id, address_id = _customer_and_address(store)
    with store.unit_of_work() as uow:
        creation = uow.orders.create(order(customer_id=customer_id, address_id=address_id))
    created = creation.order
    assert creation.created
    assert created.state == OrderState.REGISTRATO
    assert created.sigla == DocumentSigla.OX
    assert created.number == 1 and created.sezionale == 2
    assert created.total_gross == Decimal("43.87")
    assert created.rows == rows()
    assert created.purchase_date == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    with store.unit_of_work() as uow:
        assert uow.orders.find("it_main", "171-0000000-0000001") == created
        assert uow.orders.get(created.id) == created


def test_decimals_survive_exactly(store: SiteStore) -> None:
    tricky = (
        OrderRowData(RowKind.ARTICLE, 1, "ART001", "Prezzo strano", Decimal("7"), Decimal("0.142857"), "22"),
        OrderRowData(RowKind.ARTICLE, 2, "ART002", "Tanti pezzi", Decimal("1234.5678"), Decimal("99999.99"), "10"),
    )
    with store.unit_of_work() as uow:
        created = uow.orders.create(order(rows=tricky, total_gross=Decimal("123456789.0101"))).order
    assert created.rows == tricky
    assert created.total_gross == Decimal("123456789.0101")


def test_the_same_amazon_order_is_created_once(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        first = uow.orders.create(order("A-1"))
    with store.unit_of_work() as uow:
        second = uow.orders.create(order("A-1", total_gross=Decimal("1.00")))
        third = uow.orders.create(order("A-2"))
    assert first.created and not second.created
    assert second.order == first.order
    assert third.order.number == 2  # no number was consumed by the duplicate


def test_numbers_are_sequential_per_sezionale(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        numbers = [uow.orders.create(order(f"S2-{i}", sezionale=2)).order.number for i in range(3)]
        other = [uow.orders.create(order(f"S5-{i}", sezionale=5)).order.number for i in range(2)]
    assert numbers == [1, 2, 3]
    assert other == [1, 2]


def test_rolled_back_order_gives_its_number_back(store: SiteStore) -> None:
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        uow.orders.create(order("X-1"))
        raise RuntimeError("push failed")
    with store.unit_of_work() as uow:
        assert uow.orders.create(order("X-2")).order.number == 1


def test_rows_are_validated(store: SiteStore) -> None:
    bad = (OrderRowData(RowKind.ARTICLE, 1, None, "senza codice", Decimal(1), Decimal(1), "22"),)
    dup = rows()[:1] * 2
    with store.unit_of_work() as uow:
        with pytest.raises(ValueError, match="article code"):
            uow.orders.create(order(rows=bad))
        with pytest.raises(ValueError, match="duplicate"):
            uow.orders.create(order(rows=dup))


def test_state_changes(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        created = uow.orders.create(order()).order
        uow.orders.mark_stored(created.id, "OC/2/1")
        stored = uow.orders.get(created.id)
        with pytest.raises(StateConflict, match="Memorizzato"):
            uow.orders.mark_stored(created.id, "again")
        uow.orders.set_state(created.id, OrderState.ATTESA_SPEDIZIONE, expected=[OrderState.MEMORIZZATO])
        uow.orders.set_state(created.id, OrderState.SPEDITO)
        with pytest.raises(NotFound):
            uow.orders.set_state(999_999, OrderState.SPEDITO)
        assert [o.id for o in uow.orders.by_state(OrderState.SPEDITO, account="it_main")] == [created.id]
    assert stored.state == OrderState.MEMORIZZATO
    assert stored.gestionale_document_key == "OC/2/1"


def test_afn_order_waits_incomplete_until_completed(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        created = uow.orders.create(order("AFN-1", fulfillment="AFN", state=OrderState.INCOMPLETO_AFN)).order
        assert created.customer_id is None
        assert [o.id for o in uow.orders.by_state(OrderState.INCOMPLETO_AFN)] == [created.id]
    customer_id, address_id = _customer_and_address(store)
    with store.unit_of_work() as uow:
        uow.orders.complete_afn(created.id, customer_id, address_id)
        completed = uow.orders.get(created.id)
    assert completed.state == OrderState.REGISTRATO
    assert completed.customer_id == customer_id and completed.shipping_address_id == address_id


def test_afn_order_completed_with_the_placeholder_keeps_no_customer_and_completes_once(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        created = uow.orders.create(order("AFN-2", fulfillment="AFN", state=OrderState.INCOMPLETO_AFN)).order
    with store.unit_of_work() as uow:
        uow.orders.complete_afn(created.id, None, None)  # the push sends it under afn_placeholder_customer
        completed = uow.orders.get(created.id)
    assert (completed.state, completed.customer_id, completed.shipping_address_id) == (OrderState.REGISTRATO,
                                                                                        None, None)
    with pytest.raises(StateConflict), store.unit_of_work() as uow:  # a second completion (two operators)
        uow.orders.complete_afn(created.id, None, None)


def test_latest_amazon_status_and_delivery_are_recorded(store: SiteStore) -> None:
    delivered = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    with store.unit_of_work() as uow:
        created = uow.orders.create(order()).order
        uow.orders.record_amazon_status(created.id, "SHIPPED", delivered_at=delivered)
        updated = uow.orders.get(created.id)
    assert updated.amazon_status_at_import == "UNSHIPPED"
    assert updated.amazon_status_latest == "SHIPPED"
    assert updated.delivered_at == delivered


def test_sigla_follows_the_customer_kind() -> None:
    assert DocumentSigla.for_customer(CustomerKind.COMPANY) is DocumentSigla.OC
    assert DocumentSigla.for_customer(CustomerKind.PRIVATE) is DocumentSigla.OX
