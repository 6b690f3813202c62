"""Rule (domain.md §7): an imported order that Amazon cancels, or whose buyer asks to cancel, is never
ignored. Registrato: never sent, Annullato. In the gestionale and not shipped: its document's rows
annullate with the account's category, never deleted, Annullato. Shipped (a delivery document evades
it): nothing changed, the operator alerted. A buyer's request: flagged, nothing changed. Each once,
whatever is retried, and each in the run's report email even when the run imported nothing else.

The steps run as the account DAG runs them (``importer.pipeline``) against the gestionale stand-in
over sockets; the last test reads Amazon through the Amazon stand-in over sockets too."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import requests
from importer_helpers import amazon_order, document_rows, newer_version, read_emails, site_order
from sqlalchemy import event

from amazon_passweb.amazon.client import OrdersClient
from amazon_passweb.amazon.settings import SpApiSettings
from amazon_passweb.config import AccountConfig, AmazonStatus
from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.importer.notify_run import send_run_report
from amazon_passweb.importer.pipeline import AccountImport
from amazon_passweb.importer.run_outcomes import build_report
from amazon_passweb.importer.steps import fetch_into_inbox
from amazon_passweb.importer.window import Window
from amazon_passweb.notify.report import AfterImport, RunKind, should_send
from amazon_passweb.orders.status import OrderState
from sandbox.amazon.generate import generate_orders

WINDOW = Window(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 31, tzinfo=UTC), RunKind.SCHEDULED)
CATEGORY = 4


@pytest.fixture
def account(it_main) -> AccountConfig:
    return it_main.model_copy(update={"cancellation_category": CATEGORY})


def run(store, account, client, orders, run_id):
    """One import run, fetch to push (no push without ``client``, as a pre-sync run)."""
    return AccountImport(store, account, run_id).run([list(orders)], client)


def events(store, account, run_id) -> dict[str, AfterImport]:
    report = build_report(store, account, run_id, WINDOW, None, WINDOW.end, fetched=0)
    return {line.amazon_order_id: line.event for line in report.after_import}


def history(store, account, amazon_order_id) -> list[str]:
    with store.unit_of_work(read_only=True) as uow:
        return [step.outcome for step in uow.inbox.history(account.id, amazon_order_id)]


def operator_post(standin, resource: str, body: dict) -> str:
    """What an operator's own gestionale program writes through the WebAPI (plain HTTP)."""
    token = base64.b64encode(b"webapi:webapi").decode()
    answer = requests.post(f"{standin.base_url}risorse/{resource}", json=body, timeout=5, headers={
        "Authorization": f"Passepartout {token} Dominio=demo",
        "Coordinate-Gestionale": f"Azienda=DEMO Anno={dt.date.today().year}"})
    assert answer.status_code == 201, answer.text
    return answer.headers["Location"].rsplit("/", 1)[-1]


def deliver(standin, gestionale_db, amazon_order_id: str) -> str:
    """A delivery note (BC) evading every article row of the order's document."""
    document = gestionale_db.document(amazon_order_id)
    ids = dict(document["id_riga"])
    articles = [(i, code) for i, code in document["codice_articolo"] if code]
    quantities = dict(document["quantita"])
    rows = range(1, len(articles) + 1)
    return operator_post(standin, "documenti/movimenti-magazzino", {
        "sigla": "BC", "serie": 1, "numero": 0, "cod_conto": document["cod_conto"],
        "data_documento": dt.date.today().strftime("%Y%m%d"),
        "sigla_ordine": document["sigla"], "serie_ordine": document["serie"], "numero_ordine": document["numero"],
        "id_riga": [[r, 0] for r in rows], "tp_riga": [[r, "R"] for r in rows],
        "codice_articolo": [[r, code] for r, (_, code) in zip(rows, articles, strict=True)],
        "quantita": [[r, quantities[i]] for r, (i, _) in zip(rows, articles, strict=True)],
        "cod_iva": [[r, "22"] for r in rows],
        "id_riga_orig": [[r, ids[i]] for r, (i, _) in zip(rows, articles, strict=True)],
    })  # fmt: skip


def test_a_registrato_order_cancelled_on_amazon_never_reaches_the_gestionale(store, account, client,
                                                                             gestionale_db, mail_sink):
    order = amazon_order()
    run(store, account, None, [order], "run-1")  # not pushed (as before a sync): Registrato
    assert site_order(store, account, order.amazon_order_id).state is OrderState.REGISTRATO

    run(store, account, client, [newer_version(order, status=AmazonStatus.CANCELLED)], "run-2")

    assert site_order(store, account, order.amazon_order_id).state is OrderState.ANNULLATO
    assert gestionale_db.document(order.amazon_order_id) is None
    assert events(store, account, "run-2") == {order.amazon_order_id: AfterImport.CANCELLED}
    sent = send_run_report(store, account, "run-2", WINDOW, WINDOW.end, WINDOW.end, fetched=1)
    assert sent["report_created"] == 0
    [report] = [m for m in read_emails(mail_sink.directory) if m["To"] == "ordini@example.it"]
    body = report.get_body(("plain",)).get_content()
    assert "ANNULLAMENTI APPLICATI (1)" in body and order.amazon_order_id in body
    assert "prima dell'invio al gestionale" in body
    # later runs push nothing of it
    run(store, account, client, [newer_version(order, status=AmazonStatus.CANCELLED)], "run-3")
    assert gestionale_db.document(order.amazon_order_id) is None and not events(store, account, "run-3")


def test_a_stored_order_cancelled_on_amazon_gets_every_row_annullata_once(store, account, client, gestionale_db):
    order = amazon_order()
    run(store, account, client, [order], "run-1")
    stored = gestionale_db.document(order.amazon_order_id)
    documents = gestionale_db.counts()["documenti"]
    cancelled = newer_version(order, status=AmazonStatus.CANCELLED)

    counts = run(store, account, client, [cancelled], "run-2")

    assert counts.push["cancellations_annulled"] == 1
    document = gestionale_db.document(order.amazon_order_id)
    assert {(r["tipo_stato_riga"], r["cat_annul_riga"]) for r in document_rows(document)} == {("N", CATEGORY)}
    assert document["numero"] == stored["numero"] and gestionale_db.counts()["documenti"] == documents
    assert document["codice_articolo"] == stored["codice_articolo"], "rows kept, never deleted"
    assert site_order(store, account, order.amazon_order_id).state is OrderState.ANNULLATO
    assert events(store, account, "run-2") == {order.amazon_order_id: AfterImport.CANCELLED}
    # the same version again, and a later one: nothing more
    run(store, account, client, [cancelled, newer_version(cancelled)], "run-3")
    assert gestionale_db.document(order.amazon_order_id)["data_ult_mod"] == document["data_ult_mod"]
    assert history(store, account, order.amazon_order_id).count("cancel_applied") == 1
    assert not events(store, account, "run-3")


def test_a_lost_answer_and_an_outage_leave_exactly_one_annulment(store, account, client, standin, gestionale_db):
    lost, later = amazon_order(), amazon_order()
    run(store, account, client, [lost, later], "run-1")
    standin.faults.update(drop_after_revision_next=1)  # the first revision is applied, its answer lost

    run(store, account, client, [newer_version(lost, status=AmazonStatus.CANCELLED)], "run-2")

    assert site_order(store, account, lost.amazon_order_id).state is OrderState.ANNULLATO
    assert {r["tipo_stato_riga"] for r in document_rows(gestionale_db.document(lost.amazon_order_id))} == {"N"}

    # the gestionale unreachable: the intent stays, the order waits, the next push applies it once
    standin.faults.update(outage_s=30.0)
    down = GestionaleClient(replace(client.settings, retry_budget_s=0.3), settle_s=0.02)
    cancelled = newer_version(later, status=AmazonStatus.CANCELLED)
    counts = run(store, account, down, [cancelled], "run-3")
    assert counts.push["cancellations_pending"] == 1
    assert site_order(store, account, later.amazon_order_id).state is OrderState.MEMORIZZATO
    assert events(store, account, "run-3") == {later.amazon_order_id: AfterImport.PENDING}
    standin.faults.clear()

    run(store, account, client, [cancelled], "run-4")  # nothing new from Amazon: the pending one is applied
    assert site_order(store, account, later.amazon_order_id).state is OrderState.ANNULLATO
    assert {r["tipo_stato_riga"] for r in document_rows(gestionale_db.document(later.amazon_order_id))} == {"N"}
    assert events(store, account, "run-4") == {later.amazon_order_id: AfterImport.CANCELLED}
    assert gestionale_db.counts()["documenti"] == 2


def test_a_shipped_order_cancelled_on_amazon_is_left_to_the_operator(store, account, client, standin,
                                                                      gestionale_db):
    order = amazon_order()
    run(store, account, client, [order], "run-1")
    delivery = deliver(standin, gestionale_db, order.amazon_order_id)
    before = gestionale_db.document(order.amazon_order_id)

    counts = run(store, account, client, [newer_version(order, status=AmazonStatus.CANCELLED)], "run-2")

    assert counts.push["cancellations_after_shipping"] == 1
    assert gestionale_db.document(order.amazon_order_id) == before, "nothing changed in the gestionale"
    assert site_order(store, account, order.amazon_order_id).state is OrderState.MEMORIZZATO
    report = build_report(store, account, "run-2", WINDOW, None, WINDOW.end, fetched=1)
    [line] = report.after_import
    assert line.event is AfterImport.AFTER_SHIPPING and should_send(report)
    assert "annullato su amazon dopo la spedizione: gestire il reso" in line.text.lower()
    assert "+".join(delivery.split("+")[:3]) in line.text
    run(store, account, client, [newer_version(order, status=AmazonStatus.CANCELLED)], "run-3")
    assert not events(store, account, "run-3"), "alerted once"


def test_a_buyers_request_is_flagged_and_changes_nothing_until_amazon_cancels(store, account, client,
                                                                              gestionale_db):
    order = amazon_order()
    run(store, account, client, [order], "run-1")
    before = gestionale_db.document(order.amazon_order_id)
    asked = newer_version(order, buyer_cancel_requested=True, buyer_cancel_reason="REASON_NO_LONGER_NEEDED")

    run(store, account, client, [asked], "run-2")

    assert gestionale_db.document(order.amazon_order_id) == before
    assert site_order(store, account, order.amazon_order_id).state is OrderState.MEMORIZZATO
    with store.unit_of_work(read_only=True) as uow:
        flagged = uow.cancellations.get(site_order(store, account, order.amazon_order_id).id)
    assert flagged.requested_at is not None and flagged.request_reason == "REASON_NO_LONGER_NEEDED"
    assert flagged.status is None
    assert events(store, account, "run-2") == {order.amazon_order_id: AfterImport.REQUESTED}
    again = newer_version(asked)
    run(store, account, client, [again], "run-3")
    assert not events(store, account, "run-3"), "flagged once"

    run(store, account, client, [newer_version(again, status=AmazonStatus.CANCELLED)], "run-4")
    assert {r["tipo_stato_riga"] for r in document_rows(gestionale_db.document(order.amazon_order_id))} == {"N"}
    assert events(store, account, "run-4") == {order.amazon_order_id: AfterImport.CANCELLED}


@pytest.mark.parametrize("api_version", ["2026-01-01", "v0"])
def test_changes_read_through_the_amazon_standin(store, account, client, gestionale_db, amazon_standins,
                                                 api_version):
    mine = [o for o in generate_orders(120, seed=23) if o["salesChannel"]["marketplaceId"] in account.marketplaces
            and o["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED" and o["fulfillment"]["fulfilledBy"] == "MERCHANT"]
    standin = amazon_standins(mine)
    amazon = OrdersClient(SpApiSettings(**standin.settings_kwargs()), api_version)

    def pages():
        return amazon.iter_pages(datetime(2026, 1, 1, tzinfo=UTC), marketplace_ids=account.marketplaces)

    first = AccountImport(store, account, "run-1").run(pages(), client)
    assert first.push["pushed"] >= 2
    stored = [o["orderId"] for o in mine if gestionale_db.document(o["orderId"])]
    cancelled, asked = stored[:2]
    moved = datetime.now(UTC) - timedelta(minutes=5)  # a search reads up to 2 minutes before now
    standin.cancel_order(cancelled, "AMAZON", updated_at=moved)
    standin.request_cancellation(asked, updated_at=moved)

    AccountImport(store, account, "run-2").run(pages(), client)

    assert events(store, account, "run-2") == {cancelled: AfterImport.CANCELLED, asked: AfterImport.REQUESTED}
    assert {r["tipo_stato_riga"] for r in document_rows(gestionale_db.document(cancelled))} == {"N"}
    assert "N" not in {r.get("tipo_stato_riga") for r in document_rows(gestionale_db.document(asked))}
    amazon.close()


def test_a_page_of_changes_is_recorded_in_the_same_few_statements_whatever_its_size(store, account) -> None:
    """The fetch records a page's status updates, cancellations and requests together: a page with
    four times the changes runs no more statements, and each order still gets its own outcome."""

    def fetch_changes(n: int, run_id: str) -> int:
        orders = [amazon_order() for _ in range(3 * n)]
        run(store, account, None, orders, f"{run_id}-import")  # Registrato, never pushed
        page = [newer_version(o, status=AmazonStatus.CANCELLED) for o in orders[:n]]
        page += [newer_version(o, buyer_cancel_requested=True, buyer_cancel_reason="REASON_X") for o in orders[n:2 * n]]
        page += [newer_version(o, status=AmazonStatus.SHIPPED) for o in orders[2 * n:]]
        executed: list[str] = []

        def count(conn, cursor, statement, *args) -> None:
            executed.append(statement)

        event.listen(store.engine, "before_cursor_execute", count)
        try:
            counts = fetch_into_inbox(store, [page], account, run_id)
        finally:
            event.remove(store.engine, "before_cursor_execute", count)
        assert counts.cancelled_after_import == tuple(o.amazon_order_id for o in orders[:n])
        assert counts.cancel_requests == tuple(o.amazon_order_id for o in orders[n:2 * n])
        for o in orders[:n]:
            assert site_order(store, account, o.amazon_order_id).state is OrderState.ANNULLATO
            assert history(store, account, o.amazon_order_id)[-1] == "cancel_applied"
        for o in orders[n:2 * n]:
            assert site_order(store, account, o.amazon_order_id).state is OrderState.REGISTRATO
            assert history(store, account, o.amazon_order_id)[-1] == "cancel_request"
        for o in orders[2 * n:]:
            shipped = site_order(store, account, o.amazon_order_id)
            assert shipped.amazon_status_latest == "SHIPPED" and shipped.life_ended_at is not None
        return len(executed)

    assert fetch_changes(8, "run-big") <= fetch_changes(2, "run-small")
