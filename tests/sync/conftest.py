"""Fixtures of the sync tests: a fresh site store, the gestionale stand-in, a real SMTP sink, and
throwaway PostgreSQL databases for the tests that run on both dialects."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from amazon_passweb.config import AccountsFile, load_accounts
from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.settings import WebApiSettings
from amazon_passweb.site.crypto import generate_key
from amazon_passweb.site.unit_of_work import SiteStore, open_site_store
from sandbox.gestionale.server import RunningStandIn, running_standin
from sandbox.mailsink import MailSink

PG_ADMIN_URL = os.environ.get("SITE_TEST_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def accounts() -> AccountsFile:
    """The example accounts: it_main and eu_de_fr, both importing; quota 30."""
    return load_accounts()


@pytest.fixture
def pii_key() -> str:
    return generate_key()


@pytest.fixture
def site_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'site.db'}"


@pytest.fixture
def store(site_url: str, pii_key: str) -> Iterator[SiteStore]:
    site = open_site_store(site_url, pii_key=pii_key, upgrade=True)
    yield site
    site.dispose()


@pytest.fixture(scope="session")
def _standin(tmp_path_factory) -> Iterator[RunningStandIn]:
    with running_standin(tmp_path_factory.mktemp("gestionale")) as running:
        yield running


@pytest.fixture
def standin(_standin: RunningStandIn) -> RunningStandIn:
    """The running stand-in with only its catalogue."""
    _standin.standin.reset()
    return _standin


@pytest.fixture
def client(standin: RunningStandIn) -> GestionaleClient:
    settings = WebApiSettings(base_url=standin.base_url, user="webapi", password="webapi", dominio="demo",
                              azienda="DEMO", retry_budget_s=5.0, read_timeout_s=10.0, connect_timeout_s=2.0)
    return GestionaleClient(settings, settle_s=0.02)


@pytest.fixture
def mail_sink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, accounts: AccountsFile) -> Iterator[MailSink]:
    """A real SMTP server writing .eml files, reached through the accounts file's SMTP connection."""
    with MailSink(tmp_path / "mail") as sink:
        monkeypatch.setenv(f"AIRFLOW_CONN_{accounts.smtp_conn_id.upper()}", json.dumps({
            "conn_type": "smtp", "host": "127.0.0.1", "port": sink.port,
            "extra": {"disable_tls": True, "disable_ssl": True, "from_email": "sync@localhost",
                      "retry_limit": 0, "timeout": 5},
        }))
        yield sink


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[Callable[[], str]]:
    """Makes uniquely named PostgreSQL databases (skips when the server is not there); drops them at the end."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"sync_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as error:  # no server: the SQLite half of the test still runs
            pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(error).__name__}")
        made.append(name)
        return admin.url.set(database=name).render_as_string(hide_password=False)

    yield make
    if made:
        with admin.connect() as conn:
            for name in made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
