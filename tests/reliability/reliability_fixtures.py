"""Shared pieces of the crash, concurrency and soak tests: the services an import talks to, the
environment that points the product at them, and the read-back checks of "exactly once".

The services are the real local stand-ins (Amazon SP-API, gestionale WebAPI, SMTP sink), each on
its own localhost port, served from threads of the test process: an import killed in a worker
process leaves them running. The product reaches them exactly as in production: through
``AIRFLOW_CONN_*`` connections in the environment, so an import run in a subprocess needs
nothing but :meth:`Services.env`.

The checks read the databases directly (the site store's tables through SQL, the gestionale
stand-in's SQLite file), not through the code under test.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from amazon_passweb.config import ACCOUNTS_FILE_ENV, AccountConfig, load_accounts
from amazon_passweb.site.crypto import generate_key
from sandbox.amazon.generate import generate_orders
from sandbox.amazon.server import RunningStandIn as AmazonStandIn
from sandbox.amazon.server import running_standin as running_amazon
from sandbox.amazon.state import StandInConfig
from sandbox.gestionale.server import RunningStandIn as GestionaleStandIn
from sandbox.gestionale.server import running_standin as running_gestionale
from sandbox.mailsink import MailSink
from sandbox.stack import AMAZON, GESTIONALE, ROOT
from tests.fixtures.mail import free_port, smtp_connection_json
from tests.fixtures.postgres import postgres_database, require_postgres
from tests.fixtures.stores import open_seeded_store

ACCOUNT_ID = "it_main"
WINDOW_START = "2026-10-01T00:00:00+00:00"  # the generated orders are from October 2026
MEMORIZZATO = "Memorizzato"
INCOMPLETE = "Incompleto da Logistica Amazon"


def account() -> AccountConfig:
    return load_accounts().account(ACCOUNT_ID)


def wanted_orders(raw_orders: list[dict], account_config: AccountConfig | None = None) -> dict[str, dict]:
    """The generated orders the account must import: its marketplaces, its statuses."""
    account_config = account_config or account()
    statuses = {status.value for status in account_config.order_statuses}
    return {o["orderId"]: o for o in raw_orders
            if o["salesChannel"]["marketplaceId"] in account_config.marketplaces
            and o["fulfillment"]["fulfillmentStatus"] in statuses}


def orders_for_test(count: int, seed: int) -> list[dict]:
    return generate_orders(count, seed)


def prepare_site(url: str, pii_key: str) -> None:
    """A migrated site store with the gestionale's articles, as after a first article sync."""
    open_seeded_store(url, pii_key).dispose()


@contextlib.contextmanager
def site_database(dialect: str, workdir: Path) -> Iterator[str]:
    """The URL of an empty site database: a SQLite file, or a PostgreSQL database made for the test."""
    if dialect == "sqlite":
        yield f"sqlite:///{workdir / 'site.db'}"
        return
    require_postgres()
    with postgres_database("reliability") as url:
        yield url


@dataclass
class Services:
    """Where an import finds Amazon, the gestionale, the SMTP server and the site database."""

    amazon: AmazonStandIn
    gestionale: GestionaleStandIn
    smtp_port: int
    site_url: str
    pii_key: str = field(default_factory=generate_key)
    accounts_file: Path | None = None  # default: the example accounts
    amazon_timeout_s: float = 5.0  # the SP-API client's read timeout
    gestionale_retry_budget_s: float = 60.0  # how long the WebAPI client rides out 503s and outages

    def env(self) -> dict[str, str]:
        """The connections, as an integrator sets them, plus the test-wide Airflow settings."""
        amazon_extra = {
            "refresh_token": AMAZON["refresh_token"], "selling_partner_id": f"SP_{ACCOUNT_ID}",
            "endpoint": self.amazon.base_url, "lwa_endpoint": self.amazon.lwa_endpoint,
            "time_scale": self.amazon.config.time_scale, "timeout": self.amazon_timeout_s,
        }
        env = {
            f"AIRFLOW_CONN_{account().sp_api_conn_id.upper()}": json.dumps({
                "conn_type": "http", "login": AMAZON["client_id"], "password": AMAZON["client_secret"],
                "extra": amazon_extra}),
            "AIRFLOW_CONN_GESTIONALE_WEBAPI": json.dumps({
                "conn_type": "http", "host": "127.0.0.1", "schema": "http", "port": self.gestionale.port,
                "login": GESTIONALE["user"], "password": GESTIONALE["password"],
                "extra": {"dominio": GESTIONALE["dominio"], "azienda": GESTIONALE["azienda"],
                          "retry_budget_s": self.gestionale_retry_budget_s, "read_timeout_s": 10,
                          "connect_timeout_s": 2}}),
            f"AIRFLOW_CONN_{load_accounts().smtp_conn_id.upper()}": smtp_connection_json(self.smtp_port),
            "AIRFLOW_CONN_PASSWEB_SITE": json.dumps({"conn_type": "generic", "host": self.site_url}),
            "SITE_PII_KEY": self.pii_key,
        }
        if self.accounts_file:
            env[ACCOUNTS_FILE_ENV] = str(self.accounts_file)
        return env

    def subprocess_env(self) -> dict[str, str]:
        paths = [str(ROOT / "include"), str(ROOT)]
        inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        return {**os.environ, **self.env(), "PYTHONPATH": os.pathsep.join(paths + inherited)}


@contextlib.contextmanager
def running_services(workdir: Path, orders: list[dict], *, site_url: str | None = None,
                     amazon_config: StandInConfig | None = None, smtp_down: bool = False,
                     **settings: Any) -> Iterator[Services]:
    """Both stand-ins (threads of this process, reached over HTTP) and an SMTP sink, or a closed port."""
    config = amazon_config or StandInConfig(time_scale=1000.0, enforce_rate_limits=False)
    site_url = site_url or f"sqlite:///{workdir / 'site.db'}"
    with contextlib.ExitStack() as stack:
        amazon = stack.enter_context(running_amazon(orders, config))
        gestionale = stack.enter_context(running_gestionale(workdir / "gestionale"))
        smtp_port = free_port() if smtp_down else stack.enter_context(MailSink(workdir / "mail")).port
        services = Services(amazon, gestionale, smtp_port, site_url, **settings)
        prepare_site(site_url, services.pii_key)
        yield services


def run_worker(services: Services, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m tests.reliability.crash_worker ARGS`` against the services."""
    return subprocess.run([sys.executable, "-m", "tests.reliability.crash_worker", *args], cwd=ROOT,
                          env=services.subprocess_env(), capture_output=True, text=True, timeout=timeout)


def start_worker(services: Services, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.reliability.crash_worker", *args], cwd=ROOT,
                            env=services.subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


# -- reading back what reached the site and the gestionale ----------------------------------------


@dataclass
class Outcome:
    """Everything the "exactly once" rules are checked on."""

    site_orders: list[dict[str, Any]]
    site_customers: list[dict[str, Any]]
    site_addresses: list[dict[str, Any]]
    import_runs: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    clienti: list[dict[str, Any]]
    indirizzi: list[dict[str, Any]]

    def site_order_ids(self) -> Counter[str]:
        return Counter(o["amazon_order_id"] for o in self.site_orders)

    def document_refs(self) -> Counter[str]:
        return Counter(d["rif_nr_attuale"] for d in self.documents)

    def counts(self) -> dict[str, int]:
        return {"site orders": len(self.site_orders), "site customers": len(self.site_customers),
                "site addresses": len(self.site_addresses), "gestionale documents": len(self.documents),
                "gestionale customers": len(self.clienti), "gestionale addresses": len(self.indirizzi)}


def read_outcome(services: Services) -> Outcome:
    engine = create_engine(services.site_url)
    try:
        with engine.connect() as db:
            def rows(sql: str) -> list[dict[str, Any]]:
                return [dict(row._mapping) for row in db.execute(text(sql))]

            site_orders = rows("SELECT amazon_order_id, state, gestionale_document_key, customer_id, "
                               "shipping_address_id FROM orders")
            customers = rows("SELECT id, email_hash, identity_hash, gestionale_code FROM customers")
            addresses = rows("SELECT id, customer_id, key_hash, gestionale_address_id FROM addresses")
            runs = rows("SELECT run_id, outcome, started_at, finished_at, message FROM import_runs ORDER BY id")
    finally:
        engine.dispose()
    with contextlib.closing(sqlite3.connect(services.gestionale.store.path)) as db:
        def records(table: str) -> list[dict[str, Any]]:
            return [json.loads(data) for (data,) in db.execute(f"SELECT data FROM {table} ORDER BY rowid")]

        documents, clienti, indirizzi = records("documenti"), records("clienti"), records("indirizzi")
    return Outcome(site_orders, customers, addresses, runs, documents, clienti, indirizzi)


def customer_key(record: dict) -> tuple:
    """The gestionale customer's identity, as the client looks it up (VAT, else email, else name+place)."""
    if record.get("partita_iva"):
        return ("vat", record["partita_iva"].casefold())
    email = record.get("email") or ""
    if email and not email.startswith("no-reply-amazon-iba-buyer@"):
        return ("email", email.casefold())
    return ("name", (record.get("ragione_sociale") or "").casefold(), record.get("cap") or "",
            (record.get("indirizzo") or "").casefold())


def address_key(record: dict) -> tuple:
    return (record["cod_conto"], (record.get("descrizione") or "").casefold(),
            (record.get("indirizzo") or "").casefold(), record.get("cap") or "")


def duplicates(counter: Counter) -> dict:
    return {key: n for key, n in counter.items() if n > 1}


def exactly_once_figures(outcome: Outcome, wanted: set[str]) -> dict[str, int]:
    """The soak's figures of "exactly once": wanted orders missing from the site or, once stored, from the
    gestionale (``lost``); extra copies of a site order, a document, a customer or an address
    (``duplicates``); site orders of orders not wanted (``unexpected``)."""
    site_ids = outcome.site_order_ids()
    stored = {o["amazon_order_id"] for o in outcome.site_orders if o["state"] == MEMORIZZATO}
    refs = outcome.document_refs()
    copies = [site_ids, refs, Counter(customer_key(c) for c in outcome.clienti),
              Counter(address_key(a) for a in outcome.indirizzi)]
    return {"lost": len(wanted - set(site_ids)) + len(stored - set(refs)),
            "duplicates": sum(n - 1 for counter in copies for n in counter.values() if n > 1),
            "unexpected": len(set(site_ids) - wanted)}


def assert_exactly_once(outcome: Outcome, wanted: set[str]) -> None:
    """Every wanted order once in the site and, unless an incomplete AFN order, once in the
    gestionale; nothing else imported; customers and addresses never twice."""
    site_ids = outcome.site_order_ids()
    assert not duplicates(site_ids), f"site orders twice: {duplicates(site_ids)}"
    assert set(site_ids) == wanted, (
        f"lost: {sorted(wanted - set(site_ids))}, unexpected: {sorted(set(site_ids) - wanted)}")
    refs = outcome.document_refs()
    assert not duplicates(refs), f"gestionale documents twice: {duplicates(refs)}"
    states = Counter(o["state"] for o in outcome.site_orders)
    assert set(states) <= {MEMORIZZATO, INCOMPLETE}, f"orders left behind: {states}"
    stored = {o["amazon_order_id"]: o for o in outcome.site_orders if o["state"] == MEMORIZZATO}
    assert set(refs) == set(stored), "every stored order has one document and no document lacks its order"
    by_ref = {d["rif_nr_attuale"]: f"{d['sigla']}+{d['serie']}+{d['numero']}" for d in outcome.documents}
    assert all(o["gestionale_document_key"] == by_ref[oid] for oid, o in stored.items()), (
        "the site records the document the gestionale has")

    gestionale_customers = Counter(customer_key(c) for c in outcome.clienti)
    assert not duplicates(gestionale_customers), f"gestionale customers twice: {duplicates(gestionale_customers)}"
    codes = [c["gestionale_code"] for c in outcome.site_customers if c["gestionale_code"]]
    assert set(codes) == {c["codice"] for c in outcome.clienti}, (
        "each gestionale customer is a site customer's, and each pushed site customer has its code")
    for column in ("email_hash", "identity_hash"):
        keys = Counter(c[column] for c in outcome.site_customers if c[column])
        assert not duplicates(keys), f"site customers twice by {column}"
    site_addresses = Counter((a["customer_id"], a["key_hash"]) for a in outcome.site_addresses)
    assert not duplicates(site_addresses), "site addresses twice"
    gestionale_addresses = Counter(address_key(a) for a in outcome.indirizzi)
    assert not duplicates(gestionale_addresses), f"gestionale addresses twice: {duplicates(gestionale_addresses)}"
    address_ids = [a["gestionale_address_id"] for a in outcome.site_addresses if a["gestionale_address_id"]]
    assert not duplicates(Counter(address_ids)), "two site addresses share one gestionale address"
