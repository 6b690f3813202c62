"""The hostile input catalogue (hostile_orders.yaml) through the real import, as one batch.

Every case and a set of ordinary orders are served together by the Amazon stand-in; the
pipeline fetches, selects, reconciles, creates the site orders and pushes them to the
gestionale stand-in. Each case must end as its catalogue entry says, with a clear reason,
and the ordinary orders in the same batch must all arrive in the gestionale.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from decimal import Decimal

import pytest
import yaml
from sqlalchemy import create_engine, text

from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE, load_accounts
from amazon_passweb.importer.run_outcomes import PUSH_FAILED, PUSHED, build_report
from amazon_passweb.importer.window import RunKind, Window
from amazon_passweb.notify import render_report_html
from amazon_passweb.site.errors import NotFound
from amazon_passweb.site.states import InboxStatus, OrderState, RowKind
from tests.fixtures.stores import DIALECTS, open_seeded_store
from tests.reliability.conftest import gestionale_client_for, gestionale_standin_in
from tests.reliability.figures import record
from tests.reliability.hostile_pipeline import (
    API_VERSIONS,
    V2026,
    WINDOW_START,
    Case,
    batch,
    iter_rejected_raw,
    load_cases,
    run_import,
)
from tests.reliability.reliability_fixtures import site_database

ACCOUNT = load_accounts().account("it_main")
CASES = load_cases()
BATCH_CASES = [case for case in CASES if not case.run]
RUN_CASES = [case for case in CASES if case.run]
ORDINARY = 20


@pytest.fixture(scope="module", params=DIALECTS)
def hostile_dialect(request) -> str:
    """The site store's dialect: the catalogue's values (lone surrogates, NUL, long text, odd dates)
    meet SQLite and PostgreSQL alike."""
    return request.param


@pytest.fixture(scope="module", params=API_VERSIONS)
def hostile_run(request, hostile_dialect, tmp_path_factory, pii_key):
    """The whole catalogue through one API version: a site database and a gestionale of its own."""
    api_version = request.param
    started = time.monotonic()
    with site_database(hostile_dialect, tmp_path_factory.mktemp("site")) as url, \
            gestionale_standin_in(tmp_path_factory.mktemp("gestionale")) as gestionale:
        store = open_seeded_store(url, pii_key)
        try:
            orders, ordinary_ids = batch(CASES, ORDINARY, api_version=api_version)
            run = run_import(orders, store, ACCOUNT, gestionale_client_for(gestionale), api_version=api_version)
            run.ordinary_ids, run.gestionale_path = ordinary_ids, gestionale.store.path
            _record_figures(run, hostile_dialect, time.monotonic() - started)
            yield run
        finally:
            store.dispose()


def _record_figures(run, dialect: str, wall_s: float) -> None:
    served = [case for case in CASES if case.served_on(run.api_version)]
    outcomes = Counter(case.expectation(run.api_version)["outcome"] for case in served)
    record(f"hostile_orders_{run.api_version.replace('-', '')}_{dialect}", dialect=dialect,
           api_version=run.api_version, cases=len(served), ordinary_orders=ORDINARY,
           expected_outcomes=dict(sorted(outcomes.items())), fetched=run.counts["fetched"],
           rejected=run.counts["rejected"], pushed=run.counts["push"]["pushed"],
           push_failed=run.counts["push"]["failed"], wall_s=round(wall_s, 1))


def _cases(run) -> list[Case]:
    return [case for case in CASES if case.served_on(run.api_version)]


def _effective_id(case: Case) -> str:
    return (case.patch.get("set") or {}).get("orderId", case.order_id)


def _gestionale_documents(path, amazon_order_id: str) -> list[dict]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT data FROM documenti WHERE json_extract(data, '$.rif_nr_attuale') = ?",
                                  (amazon_order_id,)).fetchall()
    return [json.loads(data) for (data,) in rows]


def _gestionale_customer(path, amazon_order_id: str) -> dict:
    """The gestionale customer of the order's document (its ``cod_conto``)."""
    [document] = _gestionale_documents(path, amazon_order_id)
    with sqlite3.connect(path) as connection:
        [(data,)] = connection.execute("SELECT data FROM clienti WHERE codice = ?",
                                       (document["cod_conto"],)).fetchall()
    return json.loads(data)


def _rejected_entry(run, case: Case) -> tuple[str, str, str | None]:
    marker = f"{case.number:04d}000000001"  # the base order's item id
    for inbox_id, raw, reason, detail in iter_rejected_raw(run.store, ACCOUNT):
        raw_text = json.dumps(raw, default=str)
        if (isinstance(raw, dict) and case.order_id in (raw.get("orderId"), raw.get("AmazonOrderId"))) \
                or marker in raw_text \
                or case.buyer_email in raw_text:
            return inbox_id, reason, detail
    raise AssertionError(f"{case.name}: no rejected inbox entry")


def _check_imported(run, case: Case, expect: dict) -> None:
    order_id = _effective_id(case)
    with run.store.unit_of_work(read_only=True) as uow:
        entry = uow.inbox.get(ACCOUNT.id, order_id)
        assert entry.status is InboxStatus.IMPORTED, (entry.status, entry.last_error)
        order = uow.orders.find(ACCOUNT.id, order_id)
        history = uow.inbox.history(ACCOUNT.id, order_id)
        customer = uow.customers.get(order.customer_id) if order.customer_id else None
        address = uow.customers.get_address(order.shipping_address_id) if order.shipping_address_id else None
    pushes = [h for h in history if h.outcome in (PUSHED, PUSH_FAILED)]
    assert order.state is OrderState.MEMORIZZATO and order.gestionale_document_key, (
        order.state, [h.message for h in pushes])
    assert len(_gestionale_documents(run.gestionale_path, order_id)) == 1, "exactly one gestionale document"
    if "warning" in expect:
        [stored] = [h for h in pushes if h.outcome == PUSHED]
        assert "campi accorciati" in stored.message and expect["warning"] in (stored.detail or ""), stored
    if "total" in expect:
        assert order.total_gross == Decimal(expect["total"])
    if "article_rows" in expect:
        assert sum(row.kind is RowKind.ARTICLE for row in order.rows) == expect["article_rows"]
    if "purchase_year" in expect:
        assert order.purchase_date.year == expect["purchase_year"]
    if "sigla" in expect:
        assert order.sigla.value == expect["sigla"]
    for field, value in (expect.get("customer") or {}).items():
        assert getattr(customer, field) == value, (field, getattr(customer, field))
    for field, value in (expect.get("address") or {}).items():
        assert getattr(address, field) == value, (field, getattr(address, field))
    if "gestionale_customer" in expect:
        stored = _gestionale_customer(run.gestionale_path, order_id)
        for field, value in expect["gestionale_customer"].items():
            assert stored.get(field) == value, (field, stored.get(field))


def _check_failed(run, case: Case, expect: dict) -> None:
    order_id = _effective_id(case)
    with run.store.unit_of_work(read_only=True) as uow:
        entry = uow.inbox.get(ACCOUNT.id, order_id)
        order = uow.orders.find(ACCOUNT.id, order_id)
        history = uow.inbox.history(ACCOUNT.id, order_id)
    if expect.get("stage") == "push":
        assert entry.status is InboxStatus.IMPORTED
        assert order is not None and order.state is OrderState.REGISTRATO, "stays Registrato for the next push"
        assert history[-1].outcome == PUSH_FAILED and "resta Registrato" in history[-1].message, history[-1]
        assert expect["message"] in history[-1].detail, history[-1]
        assert not _gestionale_documents(run.gestionale_path, order_id)
    else:
        assert entry.status is InboxStatus.FAILED, (entry.status, entry.last_error)
        assert "non importato" in entry.last_error, entry.last_error  # the operator's Italian reason
        assert expect["message"] in entry.last_error_detail, entry.last_error_detail
        assert order is None, "a failed order makes no site order"


def _check_rejected(run, case: Case, expect: dict) -> None:
    inbox_id, reason, detail = _rejected_entry(run, case)
    assert reason.startswith("Amazon ha inviato l'ordine con dati mancanti o non validi"), reason
    assert expect["message"] in detail, detail
    with run.store.unit_of_work(read_only=True) as uow:
        assert uow.orders.find(ACCOUNT.id, inbox_id) is None
    assert any(r.amazon_order_id in (inbox_id, case.order_id) or case.buyer_email in json.dumps(r.raw, default=str)
               for r in run.rejected), "handed over by the client, not dropped"


def _check_skipped(run, case: Case, expect: dict) -> None:
    order_id = _effective_id(case)
    with run.store.unit_of_work(read_only=True) as uow:
        entry = uow.inbox.get(ACCOUNT.id, order_id)
        message = uow.inbox.history(ACCOUNT.id, order_id)[-1].message
        assert uow.orders.find(ACCOUNT.id, order_id) is None
    assert entry.status is InboxStatus.SKIPPED
    assert expect["message"] in message, message


def _check_not_fetched(run, case: Case, expect: dict) -> None:
    order_id = _effective_id(case)
    with run.store.unit_of_work(read_only=True) as uow:
        with pytest.raises(NotFound):
            uow.inbox.get(ACCOUNT.id, order_id)
        assert uow.orders.find(ACCOUNT.id, order_id) is None


CHECKS = {"imported": _check_imported, "failed": _check_failed, "rejected": _check_rejected,
          "skipped": _check_skipped, "not_fetched": _check_not_fetched}


def test_the_catalogue_has_at_least_forty_cases_of_every_kind():
    assert len(CASES) >= 40
    assert {case.expect["outcome"] for case in CASES} >= {"imported", "failed", "rejected", "skipped"}


@pytest.mark.parametrize("case", BATCH_CASES, ids=[case.name for case in BATCH_CASES])
def test_case_outcome(hostile_run, case: Case):
    if not case.served_on(hostile_run.api_version):
        pytest.skip(f"no {hostile_run.api_version} form: {case.v0['skip']}")
    expect = case.expectation(hostile_run.api_version)
    CHECKS[expect["outcome"]](hostile_run, case, expect)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("api_version", API_VERSIONS)
@pytest.mark.parametrize("case", RUN_CASES, ids=[case.name for case in RUN_CASES])
def test_run_level_case(case: Case, api_version, dialect, tmp_path, monkeypatch, caplog):
    """A case about the account and the seller (``import_refused``), through the account DAG's own task
    bodies (the connections in the environment, as Airflow gives them): Amazon refuses the order
    search; the fetch stores nothing of any marketplace and fails for good (no Airflow retry); the
    import run tells the operator what to check; the task log names what Amazon said."""
    from airflow.sdk.exceptions import AirflowFailException

    from sandbox.amazon.state import StandInConfig
    from tests.reliability.crash_worker import run_import as run_account_tasks
    from tests.reliability.hostile_pipeline import base_order, generated_it_orders
    from tests.reliability.reliability_fixtures import read_outcome, running_services

    raw = yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text())
    for account in raw["accounts"]:
        if account["id"] == ACCOUNT.id:
            account |= {"marketplaces": case.run["account_marketplaces"], "api_version": api_version}
    accounts_file = tmp_path / "accounts.yaml"
    accounts_file.write_text(yaml.safe_dump(raw))
    sources = generated_it_orders(120, seed=7)
    orders = [base_order(case, sources[0])] + sources[1:6]  # orders Amazon.it would have served
    amazon = StandInConfig(time_scale=1000.0, token_lifetime=36000.0, rdt_lifetime=36000.0,
                           linked_marketplaces=tuple(case.run["seller_marketplaces"]))
    with site_database(dialect, tmp_path) as url, running_services(
            tmp_path, orders, site_url=url, amazon_config=amazon, accounts_file=accounts_file) as services:
        for name, value in services.env().items():
            monkeypatch.setenv(name, value)
        failures: list[str] = []
        with caplog.at_level("ERROR", logger="amazon_passweb.orchestration.account_tasks"), \
                pytest.raises(AirflowFailException) as refused:
            run_account_tasks("manual__run-level", task_retries=2, task_failures=failures)
        outcome = read_outcome(services)
        engine = create_engine(url)
        with engine.connect() as db:
            inbox = db.execute(text("SELECT COUNT(*) FROM inbox")).scalar_one()
            watermark = db.execute(text("SELECT watermark FROM account_state")).scalars().all()
        engine.dispose()
        calls = dict(services.amazon.state.counters.calls)

    reason = str(refused.value)
    assert reason.startswith("Amazon ha rifiutato la lettura degli ordini") and "A1PA6795UKMFR9" in reason, reason
    assert "doctor" in reason, "it says how to check each marketplace"
    assert len(failures) == 1 and sum(calls.get(op, 0) for op in ("searchOrders", "getOrders")) == 1, (
        "refused once, never asked again", failures, calls)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "403" in logged and case.expect["message"] in logged, logged  # Amazon's answer, for the integrator
    assert inbox == 0 and outcome.site_orders == [] and outcome.documents == [], "nothing of any marketplace"
    assert watermark == [], "the watermark stays: the next import reads the same period"
    assert [(r["outcome"], r["message"]) for r in outcome.import_runs] == [("failed", reason)]


def test_the_ordinary_orders_of_the_batch_all_reach_the_gestionale(hostile_run):
    with hostile_run.store.unit_of_work(read_only=True) as uow:
        for order_id in hostile_run.ordinary_ids:
            order = uow.orders.find(ACCOUNT.id, order_id)
            assert order is not None and order.state is OrderState.MEMORIZZATO, order_id
            assert uow.inbox.get(ACCOUNT.id, order_id).status is InboxStatus.IMPORTED
    for order_id in hostile_run.ordinary_ids:
        assert len(_gestionale_documents(hostile_run.gestionale_path, order_id)) == 1


def test_nothing_is_imported_twice(hostile_run):
    with sqlite3.connect(hostile_run.gestionale_path) as connection:
        refs = [r for (r,) in connection.execute("SELECT json_extract(data, '$.rif_nr_attuale') FROM documenti")]
    assert len(refs) == len(set(refs))
    with hostile_run.store.unit_of_work(read_only=True) as uow:
        stored = uow.orders.by_state(OrderState.MEMORIZZATO, account=ACCOUNT.id, limit=10_000)
    assert sorted(o.amazon_order_id for o in stored) == sorted(refs)


@pytest.mark.parametrize("hostile_run", [V2026], indirect=True)  # the id "<b>408-1</b>" is v2026 only
def test_the_report_email_escapes_what_amazon_sent(hostile_run):
    report = build_report(hostile_run.store, ACCOUNT, hostile_run.run_id,
                          Window(WINDOW_START, WINDOW_START, RunKind.MANUAL), None, None, 0)
    html = render_report_html(report)
    assert "<script" not in html.lower() and "<b>408-1</b>" not in html
    assert "&lt;script&gt;alert(" in html, "the hostile SKU is shown, escaped, as the failure reason"
    assert "&lt;b&gt;408-1&lt;/b&gt;" in html, "the hostile order id is shown, escaped"
    assert "\u202e" not in html and "\x00" not in html


@pytest.mark.parametrize("hostile_run", [V2026], indirect=True)  # the id "<b>408-1</b>" is v2026 only
def test_the_operator_orders_page_escapes_what_amazon_sent(hostile_run):
    from amazon_passweb.ui import queries
    from amazon_passweb.ui.app import _templates

    pages = []
    for flt in (queries.OrderFilter(account=ACCOUNT.id, state=queries.ERRORS),  # reasons shown
                queries.OrderFilter(account=ACCOUNT.id, amazon_order_id="<b>408-1</b>")):
        with hostile_run.store.unit_of_work(read_only=True) as uow:
            result = queries.list_orders(uow.session, flt)
        pages.append(_templates().get_template("orders.html").render(
            base="", airflow_base="", page="orders", user="admin", accounts=load_accounts().accounts, flt=flt,
            result=result, query={}))
    errors, by_id = pages
    assert "&lt;script&gt;alert(" in errors, "the hostile SKU's failure reason is listed, escaped"
    assert "&lt;b&gt;408-1&lt;/b&gt;" in by_id, "the hostile order id is listed, escaped"
    for html in pages:
        assert "<script>alert" not in html and "<b>408-1</b>" not in html


def test_an_unforeseen_error_in_one_order_fails_that_order_only(tmp_path, pii_key, monkeypatch, caplog):
    """A crash the rules did not foresee (here an ArithmeticError from the row builder) is recorded as
    that order's failure, with the traceback in the log; the other orders of the batch go on."""
    from amazon_passweb.amazon.v2026 import order_from_v2026
    from amazon_passweb.importer import steps
    from tests.reliability.hostile_pipeline import generated_it_orders

    store = open_seeded_store(f"sqlite:///{tmp_path / 'site.db'}", pii_key)
    orders = [order_from_v2026(raw) for raw in generated_it_orders(120, seed=5)[:6]]
    victim = orders[2].amazon_order_id
    real_build_rows = steps.build_rows

    def build_rows(order, account, articles):
        if order.amazon_order_id == victim:
            raise ArithmeticError("decimal.InvalidOperation from a value no rule foresaw")
        return real_build_rows(order, account, articles)

    monkeypatch.setattr(steps, "build_rows", build_rows)
    steps.fetch_into_inbox(store, [orders], ACCOUNT, "run-x")
    steps.select_by_status(store, ACCOUNT, "run-x")
    with caplog.at_level("ERROR", logger="amazon_passweb.importer.steps"):
        reconciled = steps.reconcile_selected(store, ACCOUNT, "run-x")
    created = steps.create_site_orders(store, ACCOUNT, "run-x", None)
    assert reconciled["failed"] == 1 and created["created"] == len(orders) - 1
    with store.unit_of_work(read_only=True) as uow:
        entry = uow.inbox.get(ACCOUNT.id, victim)
        assert entry.status is InboxStatus.FAILED
        assert "Errore imprevisto nell'elaborazione dell'ordine (ArithmeticError)" in entry.last_error
        assert uow.orders.find(ACCOUNT.id, victim) is None
    assert any(r.exc_info and victim in r.getMessage() for r in caplog.records), "the traceback is logged"
    store.dispose()


def test_every_order_served_is_accounted_for(hostile_run):
    """No silent drop: one inbox entry per distinct order Amazon returned, rejected ones included."""
    version = hostile_run.api_version
    returned = [case for case in _cases(hostile_run) if case.expectation(version)["outcome"] != "not_fetched"]
    rejected = [case for case in _cases(hostile_run) if case.expectation(version)["outcome"] == "rejected"]
    with hostile_run.store.unit_of_work(read_only=True) as uow:
        entries = uow.inbox.entries(ACCOUNT.id, statuses=tuple(InboxStatus), limit=10_000)
    assert len(entries) == len(returned) + ORDINARY
    assert hostile_run.counts["rejected"] == len(rejected) == len(hostile_run.rejected)
    assert not [e for e in entries if e.status not in (InboxStatus.IMPORTED, InboxStatus.FAILED,
                                                         InboxStatus.REJECTED, InboxStatus.SKIPPED)]


def test_each_batch_is_read_through_its_own_api_version(hostile_run):
    calls = hostile_run.calls
    if hostile_run.api_version == V2026:
        assert calls.get("searchOrders") and not calls.get("getOrders") and not calls.get("getOrderItems")
    else:  # one getOrderItems per order that has an id: every served order but the two without one
        served = [c for c in _cases(hostile_run) if c.expect["outcome"] != "not_fetched"]
        copies = sum(2 if c.patch.get("twice") else 1 for c in served)
        assert not calls.get("searchOrders") and calls.get("getOrders")
        assert calls["getOrderItems"] == copies - 2 + ORDINARY, calls
