"""What a changed or total sync brings from the gestionale into the site (domain.md §6, [0699, 0700]),
against the stand-in over sockets, on SQLite and PostgreSQL: articles, customers and the accessory
tables; all of them for a total sync and for the site's first sync, only what changed since the last
successful sync for a changed one; nothing for a partial sync, which is never counted."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sync_builders import STORED, order_states, registrato_order, sync_runs

from amazon_passweb.gestionale.client import ARTICLES, CUSTOMERS, key_path
from amazon_passweb.importer.partial_push import push_registrato
from amazon_passweb.importer.sync import SyncStatus, run_site_sync
from amazon_passweb.site.states import CustomerKind, SyncType
from amazon_passweb.site.unit_of_work import open_site_store

REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "mexal-webapi" / "sorgenti" / "info"
TABLES = ("dati-generali/esenzioni-iva", "dati-generali/pagamenti", "dati-generali/valute")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def site(request, site_url, postgres_url, pii_key):
    url = site_url if request.param == "sqlite" else postgres_url()
    store = open_site_store(url, pii_key=pii_key, upgrade=True)
    yield store
    store.dispose()


def _create_customer(client, codice: str, **fields) -> None:
    client.transport.request("POST", CUSTOMERS, {"codice": codice, **fields}, idempotent=False)


def _revise(client, resource: str, key: str, **fields) -> None:
    """A change made in the gestionale: a revision with data_ult_mod as read (the WebAPI's rule)."""
    path, params = key_path(resource, key)
    stamp = client.transport.request("GET", path, idempotent=True, params=params).body["data_ult_mod"]
    client.transport.request("PUT", path, {**fields, "data_ult_mod": stamp}, idempotent=False, params=params)


def _next_second() -> None:
    """The WebAPI's stamps count seconds: what is written now is older than a sync started after this."""
    time.sleep(1.05 - datetime.now().microsecond / 1e6)


def _gestionale_counts(standin) -> tuple[int, int]:
    """How many articles and accessory table rows the gestionale has."""
    return standin.standin.store.count("articoli"), sum(len(standin.standin.tables[name]) for name in TABLES)


def _two_customers(client) -> None:
    _create_customer(client, "501.00001", ragione_sociale="Rossi Forniture Srl", gest_per_fisica="N",
                     partita_iva="01234567890", email="acquisti@rossi.example")
    _create_customer(client, "501.00002", ragione_sociale="Bianchi Anna", gest_per_fisica="S", cognome="Bianchi",
                     nome="Anna", email="Anna.Bianchi@example.it")


def test_the_first_sync_is_total_even_when_asked_changed(site, client, standin, accounts):
    _two_customers(client)
    articles, table_rows = _gestionale_counts(standin)

    report = run_site_sync(site, client, accounts, SyncType.CHANGED, "sync-1")

    assert report.status is SyncStatus.COMPLETED and report.first_total
    assert (report.articles, report.customers, report.table_rows) == (articles, 2, table_rows)
    assert "prima sincronizzazione del sito: eseguita come totale" in report.message
    assert f"dal gestionale {articles} articoli, 2 clienti e {table_rows} righe delle tabelle accessorie" \
        in report.message
    with site.unit_of_work(read_only=True) as uow:
        assert uow.articles.get("SPEDSTD") is not None and uow.articles.get("ART001").vat_rate == "22"
        company = uow.gestionale_copy.find_customer(vat_number="IT01234567890")
        private = uow.gestionale_copy.find_customer(email=" anna.bianchi@EXAMPLE.it ")
        assert (company.code, company.kind) == ("501.00001", CustomerKind.COMPANY)
        assert (private.code, private.kind) == ("501.00002", CustomerKind.PRIVATE)
        # the same keys as the site's own customers: an Amazon buyer with this email or VAT number finds it
        assert private.email_hash == uow.customers.email_hash("anna.bianchi@example.it")
        assert company.identity_hash == uow.customers.identity_hash("vat:01234567890")
    [run] = sync_runs(site)
    assert (run["sync_type"], run["outcome"], bool(run["counted"])) == ("changed", "success", True)

    second = run_site_sync(site, client, accounts, SyncType.CHANGED, "sync-2")
    assert not second.first_total, "only the first sync of a site runs as total"


def test_a_changed_sync_brings_only_what_changed_since_the_last_one_and_a_total_one_everything(
        site, client, standin, accounts):
    _two_customers(client)
    _next_second()
    first = run_site_sync(site, client, accounts, SyncType.TOTAL, "sync-1")
    assert first.status is SyncStatus.COMPLETED and not first.first_total

    _revise(client, ARTICLES, "ART002", descrizione="Tazza grande")
    _revise(client, CUSTOMERS, "501.00002", email="anna@bianchi.example")
    _create_customer(client, "501.00003", ragione_sociale="Verdi Spa", gest_per_fisica="N", partita_iva="09876543210")
    currencies = [dict(r, cambio_euro=0.84) if r["sigla"] == "GBP" else r
                  for r in standin.standin.tables["dati-generali/valute"]]
    standin.standin.set_table("dati-generali/valute", currencies)

    changed = run_site_sync(site, client, accounts, SyncType.CHANGED, "sync-2")

    assert changed.status is SyncStatus.COMPLETED and not changed.first_total
    assert (changed.articles, changed.customers, changed.table_rows) == (1, 2, 1)
    with site.unit_of_work(read_only=True) as uow:
        assert uow.articles.get("ART002").description == "Tazza grande"
        assert uow.gestionale_copy.find_customer(email="anna@bianchi.example").code == "501.00002"
        assert uow.gestionale_copy.find_customer(email="anna.bianchi@example.it") is None
        assert uow.gestionale_copy.find_customer(vat_number="09876543210").code == "501.00003"
        assert uow.gestionale_copy.table_rows("dati-generali/valute")["2"]["cambio_euro"] == 0.84

    articles, table_rows = _gestionale_counts(standin)
    total = run_site_sync(site, client, accounts, SyncType.TOTAL, "sync-3")

    assert (total.articles, total.customers, total.table_rows) == (articles, 3, table_rows)
    with site.unit_of_work(read_only=True) as uow:  # a whole read keeps every customer it saw
        assert all(uow.gestionale_copy.customer(f"501.0000{n}") for n in (1, 2, 3))
    assert [(r["sync_type"], bool(r["counted"])) for r in sync_runs(site)] == [
        ("total", True), ("changed", True), ("total", True)]


def test_a_partial_sync_brings_none_of_these_and_is_not_counted(site, client, standin, accounts):
    it_main = accounts.account("it_main")
    _two_customers(client)
    order = registrato_order(site, it_main)

    push_registrato(site, client, it_main, "manual-1")

    assert order_states(site)[order] == STORED
    with site.unit_of_work(read_only=True) as uow:
        assert uow.articles.get("ART001") is None
        assert uow.gestionale_copy.customer("501.00001") is None
        assert all(uow.gestionale_copy.table_rows(name) == {} for name in TABLES)
        assert uow.syncs.quota(datetime.now(UTC).date(), 30).used == 0
        assert uow.syncs.last_gestionale_time() is None
    assert [(r["sync_type"], bool(r["counted"])) for r in sync_runs(site)] == [("partial", False)]

    after = run_site_sync(site, client, accounts, SyncType.CHANGED, "sync-1")
    assert after.first_total, "a partial sync is no sync of the site's data: the next changed one is the first"


def test_the_accessory_tables_arrive_with_their_published_fields(site, client, standin, accounts):
    run_site_sync(site, client, accounts, SyncType.TOTAL, "sync-1")

    with site.unit_of_work(read_only=True) as uow:
        copies = {name: uow.gestionale_copy.table_rows(name) for name in TABLES}
    for name in TABLES:
        info = json.loads((REFERENCE / f"{name.replace('/', '__')}.json").read_text())
        published = {field["nome"] for field in info["campi"]}
        assert copies[name], name
        assert all(set(row) == published for row in copies[name].values()), name
    assert copies["dati-generali/esenzioni-iva"]["N41"]["codice_natura"] == "N3.2"
    assert copies["dati-generali/valute"]["2"]["sigla"] == "GBP"
    assert copies["dati-generali/valute"]["2"]["nr_dec_importi"] == 2
    assert copies["dati-generali/pagamenti"]["1"]["descrizione"] == "Pagato su marketplace"

    payments = [r for r in standin.standin.tables["dati-generali/pagamenti"] if r["id"] != 2]
    standin.standin.set_table("dati-generali/pagamenti", payments)  # removed in the gestionale
    run_site_sync(site, client, accounts, SyncType.CHANGED, "sync-2")
    with site.unit_of_work(read_only=True) as uow:
        assert set(uow.gestionale_copy.table_rows("dati-generali/pagamenti")) == {"1"}
