"""Shipment confirmation end to end through the real account DAG (`airflow dags test`) and both
stand-ins: orders imported and stored in the gestionale; delivery notes written through the
gestionale's WebAPI as an operator would (one partial, one in two packages, one without tracking,
one for an order cancelled on Amazon meanwhile); the next run confirms exactly the right packages,
and a third run changes nothing."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import time

import httpx
import pytest

from amazon_passweb.amazon.client import OrdersClient
from amazon_passweb.amazon.settings import SpApiSettings
from amazon_passweb.orders.dates import AMAZON_END_MARGIN, ROME
from amazon_passweb.orders.status import OrderState, RowKind, ShipmentStatus
from sandbox.stack import AMAZON, LocalStack
from tests.e2e.stack_queries import site_orders
from tests.shipments.delivery_notes import deliver

pytestmark = pytest.mark.slow
DAG = "amazon_orders__it_main"
WINDOW = {"window_start": "2026-10-01T00:00:00+00:00"}


def _ok(result) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "state=success" in output, output[-3000:]


def _site(stack):
    """Every it_main order with its shipments, read through the store."""
    store = stack.open_site_store()
    try:
        with store.unit_of_work(read_only=True) as uow:
            orders = {o.amazon_order_id: o for state in OrderState
                      for o in uow.orders.by_state(state, account="it_main")}
            shipments = uow.shipments.of_orders(o.id for o in orders.values())
    finally:
        store.dispose()
    return orders, {oid: shipments[o.id] for oid, o in orders.items()}


def _amazon(stack) -> OrdersClient:
    base = f"http://127.0.0.1:{stack.amazon_port}"
    return OrdersClient(SpApiSettings(**AMAZON, endpoint=base, lwa_endpoint=f"{base}/auth/o2/token",
                                      time_scale=stack.amazon_time_scale, timeout=10.0))


def _calls(stack) -> dict:
    return httpx.get(f"http://127.0.0.1:{stack.amazon_port}/_standin/stats").json()["calls"]


def _articles(order):
    return [r for r in order.rows if r.kind == RowKind.ARTICLE]


@pytest.fixture(scope="module")
def shipped(tmp_path_factory, accounts_file):
    workdir = tmp_path_factory.mktemp("shipments")
    with LocalStack(workdir, accounts_file=accounts_file, amazon_args=["--generate", "60", "--seed", "5"]) as stack:
        from sandbox.demo import prepare_site

        prepare_site(stack)
        stack.migrate_airflow()
        _ok(stack.dags_test(DAG, conf=WINDOW))
        orders, _ = _site(stack)
        stored = [o for o in orders.values() if o.state is OrderState.MEMORIZZATO and o.fulfillment == "MFN"
                  and o.amazon_status_latest == "UNSHIPPED"]
        several = [o for o in stored if len(_articles(o)) >= 2 or sum(r.quantity for r in _articles(o)) >= 2]
        two_rows = [o for o in stored if len(_articles(o)) >= 2]
        single = [o for o in stored if o not in two_rows]
        assert two_rows and len(single) >= 2 and len([o for o in several if o not in two_rows[:1]]) >= 1
        two = two_rows[0]
        partial = next(o for o in several if o is not two)
        untracked, cancelled = [o for o in single if o is not partial][:2]
        base = f"http://127.0.0.1:{stack.gestionale_port}/webapi/"
        at = dt.datetime.now(ROME).replace(second=0, microsecond=0) - dt.timedelta(hours=1)
        everything = lambda order: [(r.article_code, int(r.quantity)) for r in _articles(order)]  # noqa: E731
        deliver(base, partial.gestionale_document_key, [(_articles(partial)[0].article_code, 1)], carrier="BRT",
                tracking="BRT-P-1", shipped=at)
        deliver(base, two.gestionale_document_key, everything(two)[:1], carrier="GLS", tracking="GLS-T-1", shipped=at)
        deliver(base, two.gestionale_document_key, everything(two)[1:], carrier="ZZ", tracking="ZZ-T-2", shipped=at)
        deliver(base, untracked.gestionale_document_key, everything(untracked))
        deliver(base, cancelled.gestionale_document_key, everything(cancelled), carrier="SDA", tracking="SDA-C-1",
                shipped=at)
        httpx.post(f"http://127.0.0.1:{stack.amazon_port}/_standin/orders/{cancelled.amazon_order_id}/cancel",
                   json={}).raise_for_status()
        mails = len(stack.mail.messages())
        _ok(stack.dags_test(DAG))  # from the watermark, as Sincro Ordini or the schedule
        confirmed_at = time.time()
        second = _site(stack)
        second_calls = _calls(stack)
        with _amazon(stack) as amazon:
            at_amazon = {o.amazon_order_id: amazon.shipment_state(o.amazon_order_id)
                         for o in (partial, two, untracked, cancelled)}
        reports = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                   for p in stack.mail.messages()[mails:]]
        mails = len(stack.mail.messages())
        # Amazon is read up to two minutes ago (its rule): the third run must reach the confirmations'
        # lastUpdatedTime to read the confirmed orders again, as a later scheduled run would.
        time.sleep(max(0.0, confirmed_at + AMAZON_END_MARGIN.total_seconds() + 5 - time.time()))
        _ok(stack.dags_test(DAG))
        third = _site(stack)
        yield {"cases": {"partial": partial, "two": two, "untracked": untracked, "cancelled": cancelled},
               "second": second, "third": third, "amazon": at_amazon, "second_calls": second_calls,
               "third_calls": _calls(stack), "reports": reports,
               "third_reports": [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                                 for p in stack.mail.messages()[mails:]],
               "site_rows": site_orders(stack)}


def test_the_second_run_confirms_exactly_the_right_packages(shipped):
    cases, (orders, shipments) = shipped["cases"], shipped["second"]
    partial, two = cases["partial"].amazon_order_id, cases["two"].amazon_order_id
    untracked, cancelled = cases["untracked"].amazon_order_id, cases["cancelled"].amazon_order_id
    assert {oid for oid, found in shipments.items() if found} == {partial, two, untracked, cancelled}
    assert shipped["second_calls"]["confirmShipment"] == 3

    assert orders[partial].state is OrderState.ATTESA_SPEDIZIONE
    (package,) = shipments[partial]
    assert package.status is ShipmentStatus.CONFIRMED
    state = shipped["amazon"][partial]
    assert state.fulfilment_status == "PARTIALLY_SHIPPED"
    assert (state.tracking_numbers, state.package_reference_ids) == ({"BRT-P-1"}, {str(package.id)})

    assert orders[two].state is OrderState.SPEDITO
    state = shipped["amazon"][two]
    assert state.fulfilment_status == "SHIPPED" and state.tracking_numbers == {"GLS-T-1", "ZZ-T-2"}
    assert state.package_reference_ids == {str(s.id) for s in shipments[two]}

    assert orders[untracked].state is OrderState.ATTESA_SPEDIZIONE
    assert [s.status for s in shipments[untracked]] == [ShipmentStatus.WAITING_TRACKING]
    assert not shipped["amazon"][untracked].tracking_numbers
    assert [s.status for s in shipments[cancelled]] == [ShipmentStatus.CANCELLED]
    assert shipped["amazon"][cancelled].cancelled and not shipped["amazon"][cancelled].tracking_numbers


def test_the_report_counts_the_confirmations_and_lists_what_waits(shipped):
    (report,) = [m for m in shipped["reports"] if "ordini@example.it" in str(m["To"])]
    body = report.get_body(("plain",)).get_content()
    assert "Spedizioni confermate ad Amazon: 3" in body and "Ordini Spediti: 1" in body
    assert "manca il tracking" in body and "ordine annullato su Amazon" in body
    assert shipped["cases"]["untracked"].amazon_order_id in body


def test_the_third_run_changes_nothing_though_amazon_sends_the_shipped_orders_again(shipped):
    second_orders, second_shipments = shipped["second"]
    third_orders, third_shipments = shipped["third"]
    assert third_shipments == second_shipments
    assert {oid: o.state for oid, o in third_orders.items()} == {oid: o.state for oid, o in second_orders.items()}
    assert shipped["third_calls"].get("confirmShipment") == shipped["second_calls"]["confirmShipment"]
    # the confirmations moved the orders' lastUpdatedTime: the third run read them as updates of imported orders
    two = shipped["cases"]["two"].amazon_order_id
    assert third_orders[two].amazon_status_latest == "SHIPPED" and third_orders[two].state is OrderState.SPEDITO
    assert len(third_orders) == len(shipped["site_rows"]) == len(second_orders)
    # Its only news is the cancellation of the order Amazon cancelled after its delivery document: read
    # now (Amazon is read up to two minutes ago), it is reported as a return to handle, nothing else.
    [report] = shipped["third_reports"]
    body = report.get_body(preferencelist=("plain",)).get_content()
    cancelled = shipped["cases"]["cancelled"].amazon_order_id
    section = body.split("ANNULLATI DOPO LA SPEDIZIONE: GESTIRE IL RESO (1)", 1)[1].split("\n\n", 1)[0]
    assert cancelled in section
    assert "0 ordini importati" in report["Subject"] and "spedizioni confermate" not in report["Subject"]
    # the other cases appear at most in the shipments still waiting (the reminder), none confirmed again
    others = {shipped["cases"][name].amazon_order_id for name in ("partial", "two", "untracked")}
    news, _, waiting = body.partition("SPEDIZIONI AD AMAZON")
    assert not [oid for oid in others if oid in news]
    assert not waiting or "- Spedizioni confermate ad Amazon: 0" in waiting
