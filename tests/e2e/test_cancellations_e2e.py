"""Orders that change on Amazon after import, end to end through the real account DAG (`airflow dags
test`) against both stand-ins (domain.md §7):

1. a run before a sync (``trigger: pre-sync``, as the sync DAG starts it: no push) leaves the orders
   Registrato; Amazon cancels one; the next such run makes it Annullato and its report, with nothing
   else imported, says so; the following ordinary run pushes the others, never it;
2. then Amazon cancels a stored order, and another one the operator has already shipped (a delivery
   note in the gestionale evades it), and a buyer asks to cancel a third: one ordinary run annuls the
   first's rows (one document, every row annullata), leaves the second alone and alerts the
   operator, flags the third; its report, with nothing else imported, lists all three.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import sqlite3
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import yaml

from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE, load_accounts
from sandbox.stack import GESTIONALE, LocalStack
from tests.e2e.stack_queries import generated_orders, gestionale_documents, site_orders

pytestmark = pytest.mark.slow
DAG = "amazon_orders__it_main"
WINDOW = {"window_start": "2026-10-01T00:00:00+00:00"}
PRE_SYNC = {**WINDOW, "trigger": "pre-sync"}
ORDERS, SEED = 80, 13
CATEGORY = 3


@pytest.fixture(scope="module")
def accounts_file(tmp_path_factory):
    raw = yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text())
    for account in raw["accounts"]:
        account["schedule"] = "daily"
        if account["id"] == "it_main":
            account["cancellation_category"] = CATEGORY
    path = tmp_path_factory.mktemp("config") / "accounts.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.fixture(scope="module")
def stack(tmp_path_factory, accounts_file):
    with LocalStack(tmp_path_factory.mktemp("cancellations"), accounts_file=accounts_file,
                    amazon_args=["--generate", str(ORDERS), "--seed", str(SEED)]) as running:
        from sandbox.demo import prepare_site

        prepare_site(running)
        running.migrate_airflow()
        yield running


def run_dag(stack, conf: dict) -> None:
    result = stack.dags_test(DAG, conf=conf)
    assert result.returncode == 0 and "state=success" in result.stdout + result.stderr, \
        (result.stdout + result.stderr)[-3000:]


def reports(stack, accounts_file) -> list[email.message.EmailMessage]:
    to = set(load_accounts(accounts_file).account("it_main").notification_emails)
    mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in stack.mail.messages()]
    return [m for m in mails if to <= {m["To"]}]


def text_of(report) -> str:
    return report.get_body(("plain",)).get_content()


def amazon_control(stack, order_id: str, action: str) -> None:
    # lastUpdatedTime a few minutes back: a search reads Amazon up to 2 minutes before now
    moved = (datetime.now(UTC) - timedelta(minutes=3)).isoformat()
    answer = httpx.post(f"http://127.0.0.1:{stack.amazon_port}/_standin/orders/{order_id}/{action}",
                        json={"lastUpdatedTime": moved, **({"cancelledBy": "AMAZON"} if action == "cancel" else {})})
    assert answer.status_code == 200, answer.text


def gestionale_post(stack, resource: str, body: dict) -> str:
    """What the operator's gestionale program writes through the WebAPI (plain HTTP, no product code)."""
    token = base64.b64encode(f"{GESTIONALE['user']}:{GESTIONALE['password']}".encode()).decode()
    answer = httpx.post(f"http://127.0.0.1:{stack.gestionale_port}/webapi/risorse/{resource}", json=body, headers={
        "Authorization": f"Passepartout {token} Dominio={GESTIONALE['dominio']}",
        "Coordinate-Gestionale": f"Azienda={GESTIONALE['azienda']} Anno={dt.date.today().year}"})
    assert answer.status_code == 201, answer.text
    return answer.headers["Location"].rsplit("/", 1)[-1]


def ship(stack, document: dict) -> str:
    """A delivery note (BC) evading every article row of the order document, with carrier and tracking."""
    ids, quantities = dict(document["id_riga"]), dict(document["quantita"])
    articles = [(i, code) for i, code in document["codice_articolo"] if code]
    rows = list(range(1, len(articles) + 1))
    today = dt.date.today().strftime("%Y%m%d")
    return gestionale_post(stack, "documenti/movimenti-magazzino", {
        "sigla": "BC", "serie": 1, "numero": 0, "cod_conto": document["cod_conto"], "data_documento": today,
        "sigla_ordine": document["sigla"], "serie_ordine": document["serie"], "numero_ordine": document["numero"],
        "cod_vettore": "BRT", "nr_tracking": "BRT-E2E-1", "dt_spedizione": today, "ora_spedizione": "0900",
        "id_riga": [[r, 0] for r in rows], "tp_riga": [[r, "R"] for r in rows],
        "codice_articolo": [[r, code] for r, (_, code) in zip(rows, articles, strict=True)],
        "quantita": [[r, quantities[i]] for r, (i, _) in zip(rows, articles, strict=True)],
        "cod_iva": [[r, "22"] for r in rows],
        "id_riga_orig": [[r, ids[i]] for r, (i, _) in zip(rows, articles, strict=True)],
    })  # fmt: skip


def documents_by_reference(stack) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for document in gestionale_documents(stack):
        found.setdefault(document["rif_nr_attuale"], []).append(document)
    return found


def row_states(document: dict) -> set[tuple]:
    categories = dict(document.get("cat_annul_riga") or [])
    return {(state, categories.get(i)) for i, state in document["tipo_stato_riga"]}


def cancellations(stack) -> dict[str, dict]:
    with sqlite3.connect(stack.site_db) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT o.amazon_order_id, c.status, c.requested_at FROM order_cancellations c "
                          "JOIN orders o ON o.id = c.order_id")
        return {row["amazon_order_id"]: dict(row) for row in rows}


def unshipped_mfn(accounts_file) -> list[str]:
    account = load_accounts(accounts_file).account("it_main")
    return [o["orderId"] for o in generated_orders(ORDERS, SEED)
            if o["salesChannel"]["marketplaceId"] in account.marketplaces
            and o["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED" and o["fulfillment"]["fulfilledBy"] == "MERCHANT"]


@pytest.fixture(scope="module")
def registrato_cancelled(stack, accounts_file):
    """Runs 1–3: the cancellation of a Registrato order; returns its id."""
    run_dag(stack, PRE_SYNC)
    site = site_orders(stack)
    registrato = [oid for oid in unshipped_mfn(accounts_file) if site.get(oid, {}).get("state") == "Registrato"]
    assert len(registrato) >= 4, "enough unshipped MFN orders waiting for the push"
    cancelled = registrato[0]
    amazon_control(stack, cancelled, "cancel")
    run_dag(stack, PRE_SYNC)
    after_cancel = len(reports(stack, accounts_file))
    run_dag(stack, WINDOW)
    return cancelled, after_cancel


def test_a_registrato_order_cancelled_on_amazon_never_reaches_the_gestionale(stack, accounts_file,
                                                                             registrato_cancelled):
    cancelled, after_cancel = registrato_cancelled
    site = site_orders(stack)
    documents = documents_by_reference(stack)
    assert site[cancelled]["state"] == "Annullato" and site[cancelled]["gestionale_document_key"] is None
    assert cancelled not in documents
    stored = {oid for oid, row in site.items() if row["state"] == "Memorizzato"}
    assert stored and stored == set(documents), "the others were pushed by the ordinary run"
    assert cancellations(stack)[cancelled]["status"] == "applied"
    first, second = reports(stack, accounts_file)[:after_cancel][-2:]
    assert "0 ordini importati" in second["Subject"] and "1 annullato" in second["Subject"]
    body = text_of(second)
    assert "ANNULLAMENTI APPLICATI (1)" in body and cancelled in body
    assert "prima dell'invio al gestionale" in body
    assert "ORDINI IMPORTATI" not in body
    assert cancelled in text_of(first), "the first run imported it"


@pytest.fixture(scope="module")
def after_import(stack, accounts_file, registrato_cancelled):
    """Run 4: a stored order cancelled, a shipped one cancelled, a buyer's request."""
    site = site_orders(stack)
    stored = [oid for oid in unshipped_mfn(accounts_file) if site.get(oid, {}).get("state") == "Memorizzato"]
    annulled, shipped, asked = stored[:3]
    before = {oid: documents_by_reference(stack)[oid][0] for oid in (annulled, shipped, asked)}
    delivery = ship(stack, before[shipped])
    shipped_document = documents_by_reference(stack)[shipped][0]
    for oid in (annulled, shipped):
        amazon_control(stack, oid, "cancel")
    amazon_control(stack, asked, "cancel-request")
    mails = len(reports(stack, accounts_file))
    run_dag(stack, WINDOW)
    new = reports(stack, accounts_file)[mails:]
    assert len(new) == 1, "one report for the run"
    return {"annulled": annulled, "shipped": shipped, "asked": asked, "before": before, "delivery": delivery,
            "shipped_document": shipped_document, "report": new[0]}


def test_a_stored_order_cancelled_on_amazon_has_every_row_annullata_and_one_document(stack, after_import):
    oid = after_import["annulled"]
    [document] = documents_by_reference(stack)[oid]
    assert row_states(document) == {("N", CATEGORY)}
    before = after_import["before"][oid]
    assert (document["sigla"], document["numero"]) == (before["sigla"], before["numero"])
    assert document["codice_articolo"] == before["codice_articolo"], "rows kept, never deleted"
    assert site_orders(stack)[oid]["state"] == "Annullato"


def test_a_cancellation_after_shipping_changes_nothing_and_alerts_the_operator(stack, after_import):
    oid = after_import["shipped"]
    [document] = documents_by_reference(stack)[oid]
    assert document == after_import["shipped_document"]
    # the run's shipment step found the delivery document (In attesa di spedizione) and, the order being
    # cancelled on Amazon, confirmed nothing; the cancellation changed nothing in the gestionale
    assert site_orders(stack)[oid]["state"] == "In attesa di spedizione"
    assert cancellations(stack)[oid]["status"] == "after_shipping"
    body = text_of(after_import["report"])
    section = body.split("ANNULLATI DOPO LA SPEDIZIONE: GESTIRE IL RESO (1)", 1)[1].split("\n\n", 1)[0]
    assert oid in section and "gestire il reso" in section.lower()
    assert "+".join(after_import["delivery"].split("+")[:3]) in section


def test_a_buyers_request_is_flagged_and_changes_nothing(stack, after_import):
    oid = after_import["asked"]
    assert documents_by_reference(stack)[oid] == [after_import["before"][oid]]
    assert site_orders(stack)[oid]["state"] == "Memorizzato"
    flag = cancellations(stack)[oid]
    assert flag["requested_at"] is not None and flag["status"] is None
    body = text_of(after_import["report"])
    section = body.split("RICHIESTE DI ANNULLAMENTO DA DECIDERE (1)", 1)[1].split("\n\n", 1)[0]
    assert oid in section and "Seller Central" in section


def test_the_run_that_imported_nothing_else_reports_every_event(after_import):
    report = after_import["report"]
    assert "0 ordini importati" in report["Subject"]
    body = text_of(report)
    assert "ANNULLAMENTI APPLICATI (1)" in body and after_import["annulled"] in body
    assert "ORDINI IMPORTATI" not in body and "ERRORI" not in body
    changed = {after_import[k] for k in ("annulled", "shipped", "asked")}
    for order in generated_orders(ORDERS, SEED):
        if order["orderId"] in changed:
            for value in ((order.get("buyer") or {}).get("buyerEmail"), (order.get("buyer") or {}).get("buyerName")):
                assert not value or value not in body, "no buyer data in the report"
