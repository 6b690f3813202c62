"""No credential and no buyer data leaves where it belongs: task logs, XCom, the report email, the site DB.

One import of the it_main account runs through the account DAG's own task functions
(orchestration/account_tasks.py: their return values are what Airflow stores as XCom), with the Amazon
stand-in, the gestionale stand-in and a real SMTP sink, and with credentials and buyers known
to the test. Everything the run left behind is then searched for them.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from email import message_from_bytes, policy
from types import SimpleNamespace

import pytest

from amazon_passweb.amazon.hook import SpApiHook
from amazon_passweb.config import load_accounts
from amazon_passweb.gestionale.hook import GestionaleHook
from amazon_passweb.orchestration import account_tasks as tasks
from amazon_passweb.site.states import OrderState
from sandbox.amazon.server import running_standin
from sandbox.amazon.state import StandInConfig
from sandbox.mailsink import MailSink
from tests.fixtures.sqlite_files import read_without_dropping_locks
from tests.reliability.conftest import WEBAPI_PASSWORD
from tests.reliability.hostile_pipeline import WINDOW_START, generated_it_orders, orders_client

ACCOUNT = load_accounts().account("it_main")
LWA_CLIENT_SECRET = "amzn1.oa2-cs.v1.reliability-secret-5f0c2b7e9a"
LWA_REFRESH_TOKEN = "Atzr|IwEBIReliabilityRefreshToken-83c1d4a6f2"
LONG_NAME = "Ermenegilda Filomena Bartolomea Sanseverino di Castelfranco " * 2  # truncated in the gestionale
ORDER_COUNT = 12
# What the summary each task hands to the next (XCom) may hold: ids, window, counts, dates, status text.
SUMMARY_KEYS = {
    "window_start", "window_end", "kind", "run_id", "dry_run", "watermark_before", "import_run_id", "fetched",
    "rejected", "cancelled_after_import", "cancel_requests", "selected", "skipped", "reconciled", "reconcile_failed",
    "created", "incomplete", "pushed", "push_failed", "watermark_after", "email_status",
}
ORDER_ID = re.compile(r"^\d{3}-\d{7}-\d{7}$")


def _buyer_data(orders: list[dict]) -> set[str]:
    """Every buyer's name, email, street and phone (and the email lowercased, as the site keys it)."""
    values = set()
    for order in orders:
        buyer, address = order.get("buyer") or {}, (order.get("recipient") or {}).get("deliveryAddress") or {}
        for value in (buyer.get("buyerName"), buyer.get("buyerEmail"), address.get("name"),
                      address.get("addressLine1"), address.get("addressLine2"), address.get("phone")):
            if value:
                values |= {value.strip(), value.strip().lower()}
    values |= {LONG_NAME.strip()[:80].rstrip(), LONG_NAME.strip()[:40]}  # what a truncation note would quote
    return values


def _email_texts(sink: MailSink) -> list[str]:
    """Each message's headers and every decoded part (HTML, text and the CSV attachment)."""
    texts = []
    for path in sink.messages():
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        parts = [str(message)]
        for part in message.walk():
            payload = part.get_payload(decode=True)
            if payload:
                parts.append(payload.decode(part.get_content_charset() or "utf-8", errors="replace"))
        texts.append("\n".join(parts))
    return texts


@pytest.fixture(scope="module")
def leak_run(site_db, pii_key, gestionale_client, tmp_path_factory):
    """The import as the DAG runs it, task after task; returns what every channel carried."""
    _, store = site_db
    orders = [copy.deepcopy(o) for o in generated_it_orders(200, seed=23)[:ORDER_COUNT]]
    for order in orders[:2]:
        order["buyer"]["buyerName"] = order["recipient"]["deliveryAddress"]["name"] = LONG_NAME
    config = StandInConfig(client_secret=LWA_CLIENT_SECRET, refresh_token=LWA_REFRESH_TOKEN, time_scale=1000.0,
                           token_lifetime=36000.0, rdt_lifetime=36000.0)
    run_id = "manual__2026-11-27T10:00:00+00:00"
    context = {
        "run_id": run_id,
        "dag_run": SimpleNamespace(run_type="manual", conf={}),
        "params": {"window_start": WINDOW_START.isoformat()},
        "ti": SimpleNamespace(get_dagrun_state=lambda **_: "running"),
        "data_interval_start": None, "data_interval_end": None,
    }
    with (pytest.MonkeyPatch.context() as patch, MailSink(tmp_path_factory.mktemp("mail")) as sink,
          running_standin(orders, config) as standin):
        patch.setenv(f"AIRFLOW_CONN_{load_accounts().smtp_conn_id.upper()}", json.dumps({
            "conn_type": "smtp", "host": "127.0.0.1", "port": sink.port,
            "extra": {"disable_tls": True, "disable_ssl": True, "from_email": "ordini@localhost",
                      "retry_limit": 0, "timeout": 5}}))
        patch.setattr(tasks, "_context", lambda: context)
        patch.setattr(tasks, "_store", lambda: store)
        patch.setattr(SpApiHook, "client_for_account", classmethod(lambda cls, account: orders_client(standin)))
        patch.setattr(GestionaleHook, "get_client", lambda self, **overrides: gestionale_client)
        handler = _CaptureAll()
        root = logging.getLogger()
        previous_level = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        try:
            summaries = [tasks.fetch(ACCOUNT.id)]
            for step in (tasks.select, tasks.reconcile, tasks.create_orders, tasks.push_partial,
                         tasks.read_shipments, tasks.confirm_shipments, tasks.report, tasks.advance_watermark):
                summaries.append(step(ACCOUNT.id, summaries[-1]))
        finally:
            root.removeHandler(handler)
            root.setLevel(previous_level)
        emails = _email_texts(sink)
    return SimpleNamespace(orders=orders, store=store, summaries=summaries, logs=handler.texts, emails=emails,
                           secrets={LWA_CLIENT_SECRET, LWA_REFRESH_TOKEN, WEBAPI_PASSWORD, pii_key},
                           pii=_buyer_data(orders))


class _CaptureAll(logging.Handler):
    """Every record of every logger, formatted as a task log would show it (tracebacks included)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))


def _leaks(text: str, needles: set[str]) -> list[str]:
    return sorted(needle for needle in needles if needle in text)


def test_the_run_imported_every_order_and_sent_the_report(leak_run):
    last = leak_run.summaries[-1]
    assert last["fetched"] == ORDER_COUNT and last["created"] == ORDER_COUNT and last["pushed"] == ORDER_COUNT
    assert last["email_status"].startswith("invio email riuscito"), last["email_status"]
    assert leak_run.emails and leak_run.logs
    with leak_run.store.unit_of_work(read_only=True) as uow:
        stored = uow.orders.by_state(OrderState.MEMORIZZATO, account=ACCOUNT.id, limit=100)
    assert len(stored) == ORDER_COUNT


def test_task_logs_hold_no_credential_and_no_buyer_data(leak_run):
    text = "\n".join(leak_run.logs)
    assert "DEBUG" in text, "debug records were captured too"
    for logger in ("amazon_passweb.importer.steps", "amazon_passweb.amazon.client",
                   "amazon_passweb.importer.partial_push", "amazon_passweb.importer.notify_run"):
        assert f" {logger} " in text, f"{logger} records were captured"
    assert _leaks(text, leak_run.secrets) == []
    assert _leaks(text, leak_run.pii) == []


def test_xcom_summaries_hold_only_ids_counts_and_dates(leak_run):
    for summary in leak_run.summaries:
        counts = {k for k in summary if k.startswith(("report_", "shipments_"))}  # numbers and flags only
        assert set(summary) <= SUMMARY_KEYS | counts, set(summary)
        for key, value in summary.items():
            if isinstance(value, list):
                assert all(ORDER_ID.match(v) for v in value), (key, value)
            else:
                assert value is None or isinstance(value, bool | int | str), (key, value)
        text = json.dumps(summary)
        assert _leaks(text, leak_run.secrets) == [] and _leaks(text, leak_run.pii) == []
        assert "@" not in text, "no email address of any kind"


def test_the_report_email_holds_no_credential_and_no_buyer_data(leak_run):
    for text in leak_run.emails:
        assert _leaks(text, leak_run.secrets) == []
        assert _leaks(text, leak_run.pii) == []
        assert all(o["orderId"] in text for o in leak_run.orders), "the report does list the orders"


def test_the_site_database_file_holds_buyer_data_only_encrypted(leak_run, site_db):
    path, store = site_db
    files = list(path.parent.glob(path.name + "*"))  # the database and its journal or WAL, if any
    raw = read_without_dropping_locks(*files)
    assert _leaks(raw.decode("latin-1"), {s for s in leak_run.secrets}) == []
    found = sorted(value for value in leak_run.pii if value.encode() in raw)
    assert found == [], f"buyer data in clear in the site database: {found}"
    # the data is there, encrypted: the store gives it back
    with_email = next(o for o in leak_run.orders if o["buyer"].get("buyerEmail"))
    with store.unit_of_work(read_only=True) as uow:
        order = uow.orders.find(ACCOUNT.id, leak_run.orders[0]["orderId"])
        assert uow.customers.get(order.customer_id).name == LONG_NAME.strip()
        payload = uow.inbox.get(ACCOUNT.id, with_email["orderId"]).payload
    assert payload["buyer"]["email"] == with_email["buyer"]["buyerEmail"]
    assert with_email["buyer"]["buyerEmail"] in leak_run.pii
