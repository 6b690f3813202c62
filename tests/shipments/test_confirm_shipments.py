"""Shipment confirmation over both stand-ins, in this process: orders imported and pushed, delivery
notes written through the gestionale's WebAPI as an operator would, then ``confirm_shipments`` runs
(importer.shipments) as the account DAG's task does."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime

import pytest

from amazon_passweb.amazon.client import OrdersClient
from amazon_passweb.amazon.settings import SpApiSettings
from amazon_passweb.amazon.shipments import PackageConfirmation, ShippedItem
from amazon_passweb.importer.pipeline import AccountImport
from amazon_passweb.importer.shipments import shipment_report
from amazon_passweb.notify import ImportReport, RunCounts, RunKind, should_send
from amazon_passweb.notify.render import render_report_text
from amazon_passweb.orders.dates import ROME
from amazon_passweb.orders.status import OrderState, RowKind, ShipmentStatus
from amazon_passweb.ui import queries
from sandbox.amazon.generate import generate_orders
from tests.shipments.delivery_notes import deliver, retrack

WINDOW_START = datetime(2026, 9, 1, tzinfo=UTC)


def amazon_client(standin) -> OrdersClient:
    return OrdersClient(SpApiSettings(**(standin.settings_kwargs() | {"timeout": 10.0})), "2026-01-01")


def _articles(order) -> list:
    return [r for r in order.rows if r.kind == RowKind.ARTICLE]


@pytest.fixture
def world(amazon_standins, seeded_store, gestionale_client, gestionale_standin, it_main):
    """MFN orders of it_main imported and stored in the gestionale, and the four kinds of shipment:
    partial, two packages, without tracking, for an order cancelled on Amazon after import."""
    raw = [o for o in generate_orders(80, 21)
           if o["salesChannel"]["marketplaceId"] in it_main.marketplaces
           and o["fulfillment"]["fulfilledBy"] != "AMAZON" and o["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"]
    standin = amazon_standins(raw)
    with amazon_client(standin) as amazon:
        pages = amazon.iter_pages(WINDOW_START, None, marketplace_ids=it_main.marketplaces)
        AccountImport(seeded_store, it_main, "run-1").run(pages, gestionale_client)
    with seeded_store.unit_of_work(read_only=True) as uow:
        stored = uow.orders.by_state(OrderState.MEMORIZZATO, account=it_main.id)
    several = [o for o in stored if len(_articles(o)) >= 2]
    single = [o for o in stored if len(_articles(o)) == 1]
    assert len(several) >= 2 and len(single) >= 2, "the generated orders give every case"
    partial, two, untracked, cancelled = several[0], several[1], single[0], single[1]
    base, day = gestionale_standin.base_url, dt.date.today()
    at = datetime.combine(day, dt.time(9, 30), tzinfo=ROME)
    first = _articles(partial)[0]
    notes = {
        "partial": deliver(base, partial.gestionale_document_key, [(first.article_code, 1)], carrier="BRT",
                           tracking="BRT-P-1", shipped=at),
        "two-1": deliver(base, two.gestionale_document_key,
                         [(r.article_code, int(r.quantity)) for r in _articles(two)[:1]], carrier="GLS",
                         tracking="GLS-T-1", shipped=at),
        "two-2": deliver(base, two.gestionale_document_key,
                         [(r.article_code, int(r.quantity)) for r in _articles(two)[1:]], carrier="CORR",
                         tracking="CORR-T-2", shipped=at),
        "untracked": deliver(base, untracked.gestionale_document_key,
                             [(r.article_code, int(r.quantity)) for r in _articles(untracked)]),
        "cancelled": deliver(base, cancelled.gestionale_document_key,
                             [(r.article_code, int(r.quantity)) for r in _articles(cancelled)], carrier="SDA",
                             tracking="SDA-C-1", shipped=at),
    }
    standin.cancel_order(cancelled.amazon_order_id)
    return {"standin": standin, "store": seeded_store, "gestionale": gestionale_client, "account": it_main,
            "orders": {"partial": partial, "two": two, "untracked": untracked, "cancelled": cancelled},
            "notes": notes, "gestionale_base": base}


def confirm(world, run_id: str, account=None):
    with amazon_client(world["standin"]) as amazon:
        return AccountImport(world["store"], account or world["account"], run_id).ship(world["gestionale"], amazon)


def amazon_state(world, order):
    with amazon_client(world["standin"]) as amazon:
        return amazon.shipment_state(order.amazon_order_id)


def site(world, order):
    with world["store"].unit_of_work(read_only=True) as uow:
        return uow.orders.get(order.id), uow.shipments.of_orders([order.id])[order.id]


def test_the_right_packages_reach_amazon_once_and_the_states_follow(world):
    counts = confirm(world, "run-2")
    assert (counts.read, counts.confirmed, counts.waiting_tracking, counts.cancelled, counts.refused,
            counts.retry, counts.shipped_orders) == (5, 3, 1, 1, 0, 0, 1)
    orders = world["orders"]

    partial, (shipment,) = site(world, orders["partial"])
    assert partial.state is OrderState.ATTESA_SPEDIZIONE and shipment.status is ShipmentStatus.CONFIRMED
    assert shipment.matched_by == "row"
    at_amazon = amazon_state(world, orders["partial"])
    assert at_amazon.tracking_numbers == {"BRT-P-1"} and at_amazon.package_reference_ids == {str(shipment.id)}
    assert at_amazon.fulfilment_status == "PARTIALLY_SHIPPED"

    two, shipments = site(world, orders["two"])
    assert two.state is OrderState.SPEDITO and {s.status for s in shipments} == {ShipmentStatus.CONFIRMED}
    at_amazon = amazon_state(world, orders["two"])
    assert at_amazon.tracking_numbers == {"GLS-T-1", "CORR-T-2"}
    assert at_amazon.package_reference_ids == {str(s.id) for s in shipments}
    assert at_amazon.fulfilment_status == "SHIPPED"
    assert all(at_amazon.quantity_shipped[r.order_item_id] == int(r.quantity) for r in _articles(two))

    untracked, (waiting,) = site(world, orders["untracked"])
    assert untracked.state is OrderState.ATTESA_SPEDIZIONE and waiting.status is ShipmentStatus.WAITING_TRACKING
    assert "manca il tracking" in waiting.last_error
    assert not amazon_state(world, orders["untracked"]).tracking_numbers

    cancelled, (skipped,) = site(world, orders["cancelled"])
    assert skipped.status is ShipmentStatus.CANCELLED and "annullato su Amazon" in skipped.last_error
    assert amazon_state(world, orders["cancelled"]).cancelled
    assert not amazon_state(world, orders["cancelled"]).tracking_numbers


def test_a_second_run_changes_nothing_and_calls_amazon_for_nothing(world):
    confirm(world, "run-2")
    before = {name: site(world, order) for name, order in world["orders"].items()}
    calls = dict(world["standin"].state.counters.calls)
    again = confirm(world, "run-3")
    assert (again.read, again.confirmed, again.already_at_amazon, again.retry) == (0, 0, 0, 0)
    assert {name: site(world, order) for name, order in world["orders"].items()} == before
    assert world["standin"].state.counters.calls == calls


def test_an_account_that_does_not_confirm_reads_and_sends_nothing(world):
    off = world["account"].model_copy(update={"confirm_shipments": False})
    counts = confirm(world, "run-2", account=off)
    assert counts.disabled and counts.read == 0
    assert not amazon_state(world, world["orders"]["partial"]).tracking_numbers
    assert site(world, world["orders"]["partial"])[1] == []


def test_the_report_counts_the_run_and_lists_what_waits(world):
    counts = confirm(world, "run-2")
    report = shipment_report(world["store"], world["account"], counts.as_summary())
    assert (report.confirmed, report.waiting_tracking, report.cancelled, report.shipped_orders) == (3, 1, 1, 1)
    by_order = {line.amazon_order_id: line for line in report.lines}
    orders = world["orders"]
    assert set(by_order) == {orders["untracked"].amazon_order_id, orders["cancelled"].amazon_order_id}
    assert by_order[orders["untracked"].amazon_order_id].state == "manca il tracking"
    assert by_order[orders["cancelled"].amazon_order_id].tracking == "SDA-C-1"
    text = render_report_text(ImportReport(
        account_id="it_main", account_description="", run_id="run-2", run_kind=RunKind.MANUAL,
        window_start=WINDOW_START, window_end=WINDOW_START, watermark_before=None, watermark_after=None,
        counts=RunCounts(), shipments=report))  # fmt: skip
    assert "Spedizioni confermate ad Amazon: 3" in text and "manca il tracking" in text
    assert should_send(ImportReport("it_main", "", "r", RunKind.MANUAL, WINDOW_START, WINDOW_START, None, None,
                                    RunCounts(), shipments=report))
    quiet = shipment_report(world["store"], world["account"], confirm(world, "run-3").as_summary())
    assert not quiet.anything and quiet.lines == report.lines  # still listed, but no email for them alone


def test_amazon_sending_a_confirmed_order_again_is_a_status_update_of_the_imported_order(world):
    confirm(world, "run-2")
    two = world["orders"]["two"]
    with amazon_client(world["standin"]) as amazon:
        again = amazon.get_order(two.amazon_order_id)  # as the next window reads it: its lastUpdatedTime moved
    assert again.status.value == "SHIPPED"
    counts = AccountImport(world["store"], world["account"], "run-3").run([[again]], world["gestionale"])
    assert counts.fetch.counts.updated == 1 and counts.create["created"] == 0 and counts.push["pushed"] == 0
    order, shipments = site(world, two)
    assert order.state is OrderState.SPEDITO and order.amazon_status_latest == "SHIPPED"
    assert order.gestionale_document_key == two.gestionale_document_key and len(shipments) == 2


def test_the_orders_page_shows_shipment_state_carrier_tracking_and_the_last_error(world):
    confirm(world, "run-2")
    orders = world["orders"]
    with world["store"].unit_of_work(read_only=True) as uow:
        found = {name: queries.find_order(uow.session, "it_main", order.amazon_order_id)
                 for name, order in orders.items()}
        page = queries.list_orders(uow.session, queries.OrderFilter(account="it_main", state="Spedito"))
    assert [line.amazon_order_id for line in page.lines] == [orders["two"].amazon_order_id]
    assert [(s.label, s.carrier_code, s.tracking_number) for s in page.lines[0].shipments] == [
        ("confermata ad Amazon", "GLS", "GLS-T-1"), ("confermata ad Amazon", "CORR", "CORR-T-2")]
    assert found["partial"].state_label == "In attesa di spedizione" and found["partial"].last_error is None
    assert found["untracked"].shipments[0].label == "manca il tracking"
    assert "manca il tracking" in found["untracked"].last_error
    assert found["cancelled"].shipments[0].failed and "annullato su Amazon" in found["cancelled"].last_error


def test_a_refused_package_waits_until_the_delivery_document_changes_and_a_late_tracking_is_confirmed(world):
    partial = world["orders"]["partial"]
    others = [ShippedItem(r.order_item_id, int(r.quantity)) for r in _articles(partial)]
    with amazon_client(world["standin"]) as amazon:  # another system already shipped everything
        amazon.confirm_shipment(partial.amazon_order_id, partial.marketplace_id, PackageConfirmation(
            "999999", "UPS", None, "UPS-ELSEWHERE", datetime.now(UTC) - dt.timedelta(hours=2), tuple(others)))
    first = confirm(world, "run-2")
    assert first.refused == 1
    _, (refused,) = site(world, partial)
    assert refused.status is ShipmentStatus.REFUSED and "PackageToUpdateNotFound" in refused.last_error
    calls = dict(world["standin"].state.counters.calls)
    assert confirm(world, "run-3").refused == 0 and world["standin"].state.counters.calls == calls, "not re-sent"

    at = datetime.now(ROME).replace(second=0, microsecond=0) - dt.timedelta(minutes=30)
    retrack(world["gestionale_base"], world["notes"]["partial"], carrier="BRT", tracking="BRT-P-2", shipped=at)
    retrack(world["gestionale_base"], world["notes"]["untracked"], carrier="BRT", tracking="BRT-U-1", shipped=at)
    again = confirm(world, "run-4")
    assert (again.read, again.refused, again.confirmed) == (2, 1, 1)  # sent again, still refused; the late one sent
    untracked, (late,) = site(world, world["orders"]["untracked"])
    assert late.status is ShipmentStatus.CONFIRMED and untracked.state is OrderState.SPEDITO
    assert amazon_state(world, world["orders"]["untracked"]).tracking_numbers == {"BRT-U-1"}


def test_an_amazon_fulfilled_order_is_never_confirmed(amazon_standins, seeded_store, gestionale_client,
                                                       gestionale_standin, it_main):
    # Amazon ships AFN orders itself: a delivery document the merchant writes for one tells Amazon nothing.
    # AFN orders come without a buyer: with a placeholder customer they reach the gestionale (Memorizzato).
    gestionale_standin.store.insert_customer({"codice": "501.99999", "ragione_sociale": "Clienti Amazon FBA"})
    it_main = it_main.model_copy(update={"afn_placeholder_customer": "501.99999"})
    raw = [o for o in generate_orders(200, 22)
           if o["salesChannel"]["marketplaceId"] in it_main.marketplaces and o["fulfillment"]["fulfilledBy"] == "AMAZON"
           and o["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"]
    standin = amazon_standins(raw)
    with amazon_client(standin) as amazon:
        pages = amazon.iter_pages(WINDOW_START, None, marketplace_ids=it_main.marketplaces)
        AccountImport(seeded_store, it_main, "run-1").run(pages, gestionale_client)
    with seeded_store.unit_of_work(read_only=True) as uow:
        stored = [o for o in uow.orders.by_state(OrderState.MEMORIZZATO, account=it_main.id) if o.fulfillment == "AFN"]
    assert stored, "the generated orders hold an AFN order, stored in the gestionale under the placeholder"
    afn = stored[0]
    deliver(gestionale_standin.base_url, afn.gestionale_document_key,
            [(r.article_code, int(r.quantity)) for r in _articles(afn)], carrier="BRT", tracking="BRT-AFN-1",
            shipped=datetime.combine(dt.date.today(), dt.time(9, 30), tzinfo=ROME))
    calls = dict(standin.state.counters.calls)

    with amazon_client(standin) as amazon:
        counts = AccountImport(seeded_store, it_main, "run-2").ship(gestionale_client, amazon)

    assert counts.confirmed == 0
    assert standin.state.counters.calls.get("confirmShipment", 0) == calls.get("confirmShipment", 0)
    with seeded_store.unit_of_work(read_only=True) as uow:
        assert uow.orders.get(afn.id).state is OrderState.MEMORIZZATO
        assert uow.shipments.of_orders([afn.id]).get(afn.id, []) == []
    with amazon_client(standin) as amazon:
        assert not amazon.shipment_state(afn.amazon_order_id).tracking_numbers
