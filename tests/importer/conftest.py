"""Fixtures of the importer tests: a fresh site store per test, a real gestionale stand-in, a real SMTP sink.

The site store is a SQLite file in the test's tmp_path, migrated and seeded with the
gestionale catalogue's articles (as an article sync would leave it). The stand-in runs
once per session on a free localhost port and is emptied before each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from importer_helpers import GestionaleDb, Importer, smtp_connection_json

from amazon_passweb.config import AccountConfig, load_accounts
from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.settings import WebApiSettings
from amazon_passweb.site.crypto import generate_key
from amazon_passweb.site.unit_of_work import SiteStore, open_site_store
from sandbox.gestionale.catalogue import seed_site_articles
from sandbox.gestionale.server import RunningStandIn, running_standin
from sandbox.mailsink import MailSink


@pytest.fixture(scope="session")
def accounts():
    return load_accounts()


@pytest.fixture
def it_main(accounts) -> AccountConfig:
    """Italy, MFN warehouse 1 / AFN 9, carriers BRT (paid) / GLS (free), mastri 501 then 502."""
    return accounts.account("it_main")


@pytest.fixture
def eu_de_fr(accounts) -> AccountConfig:
    """Germany and France, with the AFN placeholder customer 503.99999."""
    return accounts.account("eu_de_fr")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SiteStore]:
    site = open_site_store(f"sqlite:///{tmp_path / 'site.db'}", pii_key=generate_key(), upgrade=True)
    seed_site_articles(site)
    yield site
    site.dispose()


@pytest.fixture(scope="session")
def _standin(tmp_path_factory) -> Iterator[RunningStandIn]:
    with running_standin(tmp_path_factory.mktemp("gestionale")) as running:
        yield running


@pytest.fixture
def standin(_standin: RunningStandIn) -> RunningStandIn:
    """The running stand-in with only its catalogue: no customers, addresses or documents."""
    _standin.standin.reset()
    return _standin


@pytest.fixture
def gestionale_db(standin: RunningStandIn) -> GestionaleDb:
    return GestionaleDb(standin.store.path)


@pytest.fixture
def client(standin: RunningStandIn) -> GestionaleClient:
    settings = WebApiSettings(base_url=standin.base_url, user="webapi", password="webapi", dominio="demo",
                              azienda="DEMO", retry_budget_s=5.0, read_timeout_s=10.0, connect_timeout_s=2.0)
    return GestionaleClient(settings, settle_s=0.02)


@pytest.fixture
def importer(store: SiteStore, client: GestionaleClient, it_main: AccountConfig) -> Importer:
    return Importer(store, client, it_main)


@pytest.fixture
def mail_sink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, accounts) -> Iterator[MailSink]:
    """A real SMTP server writing .eml files, reached through the account file's SMTP connection."""
    with MailSink(tmp_path / "mail") as sink:
        monkeypatch.setenv(f"AIRFLOW_CONN_{accounts.smtp_conn_id.upper()}", smtp_connection_json(sink.port))
        yield sink
