"""The shipments of the site store, on SQLite and PostgreSQL: a delivery document is one shipment
whose id (the packageReferenceId) never changes, and the orderItemId of each row is kept."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from site_builders import order
from sqlalchemy.exc import IntegrityError

from amazon_passweb.orders.shipments import PackageItem
from amazon_passweb.orders.status import ShipmentStatus
from amazon_passweb.site import OrderRowData, RowKind, SiteStore
from amazon_passweb.site.records import ShipmentData
from amazon_passweb.site.shipments import NEEDS_ATTENTION
from amazon_passweb.site.states import OrderState

AT = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


def _stored_order(store: SiteStore, key: str = "OX+2+1", amazon_order_id: str = "171-0000000-0000001") -> int:
    rows = (OrderRowData(RowKind.ARTICLE, 1, "ART001", "Tazza", Decimal(2), Decimal("12.99"), "22", "item-1"),)
    with store.unit_of_work() as uow:
        created = uow.orders.create(replace(order(amazon_order_id), rows=rows)).order
        uow.orders.mark_stored(created.id, key)
    return created.id


def _data(order_id: int, **changes) -> ShipmentData:
    values = dict(order_id=order_id, account="it_main", delivery_key="BC/1/7/2026", order_key="OX+2+1",
                  document_date=dt.date(2026, 12, 1), carrier_code="BRT", tracking_number="T1", shipped_at=AT,
                  items=(PackageItem("item-1", 1, 1),), matched_by="row", fingerprint="f1",
                  status=ShipmentStatus.PENDING)  # fmt: skip
    return ShipmentData(**(values | changes))


def test_order_rows_keep_amazons_order_item_id_and_orders_are_found_by_document_key(store: SiteStore):
    order_id = _stored_order(store)
    with store.unit_of_work(read_only=True) as uow:
        (found,) = uow.orders.by_document_keys("it_main", ["OX+2+1", "OX+2+99"])
        assert found.id == order_id and found.rows[0].order_item_id == "item-1"
        assert uow.orders.by_document_keys("eu_de_fr", ["OX+2+1"]) == []


def test_a_document_read_again_is_the_same_shipment_with_the_same_package_id(store: SiteStore):
    order_id = _stored_order(store)
    with store.unit_of_work() as uow:
        first = uow.shipments.record(_data(order_id))
    assert first.package_reference_id == str(first.id) and int(first.package_reference_id) > 0
    with store.unit_of_work() as uow:
        uow.shipments.mark(first.id, ShipmentStatus.CONFIRMED, confirmed_at=AT, attempted=True)
    with store.unit_of_work() as uow:  # the tracking corrected in the gestionale: Amazon is told the edit
        again = uow.shipments.record(_data(order_id, tracking_number="T2", fingerprint="f2"))
    assert again.id == first.id and again.status is ShipmentStatus.PENDING and again.tracking_number == "T2"
    assert again.confirmed_at == AT and again.items == (PackageItem("item-1", 1, 1),)
    with store.unit_of_work(read_only=True) as uow:
        assert [s.id for s in uow.shipments.by_status("it_main", [ShipmentStatus.PENDING])] == [first.id]
        assert uow.shipments.counts("it_main") == {ShipmentStatus.PENDING: 1}


def test_a_cancelled_orders_shipment_stays_cancelled(store: SiteStore):
    order_id = _stored_order(store)
    with store.unit_of_work() as uow:
        shipment = uow.shipments.record(_data(order_id))
        uow.shipments.mark(shipment.id, ShipmentStatus.CANCELLED, error="annullato")
    with store.unit_of_work() as uow:
        again = uow.shipments.record(_data(order_id, fingerprint="f2"))
    assert again.status is ShipmentStatus.CANCELLED and ShipmentStatus.CANCELLED in NEEDS_ATTENTION


def test_one_shipment_per_delivery_document_and_order_even_if_two_writers_race(store: SiteStore):
    from amazon_passweb.site.models import Shipment

    order_id = _stored_order(store)
    with store.unit_of_work() as uow:
        uow.shipments.record(_data(order_id))
    values = dict(order_id=order_id, account="it_main", delivery_key="BC/1/7/2026", order_key="OX+2+1",
                  document_date=dt.date(2026, 12, 1), items="[]", matched_by="row", fingerprint="x",
                  status="pending", attempts=0, created_at=AT, updated_at=AT)  # fmt: skip
    with pytest.raises(IntegrityError), store.engine.begin() as connection:
        connection.execute(Shipment.__table__.insert().values(values))
    other = _stored_order(store, "OX+2+2", "171-0000000-0000002")
    with store.unit_of_work() as uow:  # one document evading two orders: two shipments
        uow.shipments.record(_data(other, order_key="OX+2+2"))
        assert len(uow.shipments.of_orders([order_id, other])[other]) == 1
    with store.unit_of_work(read_only=True) as uow:
        assert uow.orders.get(order_id).state is OrderState.MEMORIZZATO


def test_an_order_moves_only_from_the_expected_states(store: SiteStore):
    order_id = _stored_order(store)
    with store.unit_of_work() as uow:
        assert uow.orders.move_state(order_id, OrderState.ATTESA_SPEDIZIONE, [OrderState.MEMORIZZATO])
        assert not uow.orders.move_state(order_id, OrderState.ATTESA_SPEDIZIONE, [OrderState.MEMORIZZATO])
        assert uow.orders.get(order_id).state is OrderState.ATTESA_SPEDIZIONE
