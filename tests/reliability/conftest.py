"""Fixtures of the hostile input and leak tests: a seeded site store, and the gestionale stand-in
with this folder's WebAPI user (whose password a test looks for where it must not be) and a client
for it. Module-scoped: each of those test modules runs one import batch. The PII key is the shared
one (tests/fixtures/keys.py). And the "reliability figures" section of pytest's summary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.settings import WebApiSettings
from sandbox.gestionale.gate import AuthSettings
from sandbox.gestionale.server import RunningStandIn, running_standin
from tests.fixtures.stores import open_seeded_store
from tests.reliability.figures import REPORTED

WEBAPI_USER = "webapi-reliability"
WEBAPI_PASSWORD = "Gestionale-Pwd-7d1c9e55b2"  # known, so a test can look for it where it must not be


@pytest.fixture(scope="module")
def site_db(tmp_path_factory, pii_key):
    """The SQLite file and the store on it."""
    path = tmp_path_factory.mktemp("site") / "site.db"
    store = open_seeded_store(f"sqlite:///{path}", pii_key)
    yield path, store
    store.dispose()


def gestionale_standin_in(directory: Path) -> AbstractContextManager[RunningStandIn]:
    """A gestionale stand-in of its own (on ``directory``) with the reliability tests' WebAPI user."""
    return running_standin(directory, auth=AuthSettings(users={WEBAPI_USER: WEBAPI_PASSWORD}))


def gestionale_client_for(standin: RunningStandIn) -> GestionaleClient:
    settings = WebApiSettings(base_url=standin.base_url, user=WEBAPI_USER, password=WEBAPI_PASSWORD,
                              dominio="demo", azienda="DEMO", retry_budget_s=5.0, read_timeout_s=20.0,
                              connect_timeout_s=2.0)
    return GestionaleClient(settings, settle_s=0.02)


@pytest.fixture(scope="module")
def gestionale_standin(tmp_path_factory) -> Iterator[RunningStandIn]:
    """Overrides the shared one: a stand-in per module, with this folder's WebAPI user."""
    with gestionale_standin_in(tmp_path_factory.mktemp("gestionale")) as running:
        yield running


@pytest.fixture(scope="module")
def gestionale_client(gestionale_standin: RunningStandIn) -> GestionaleClient:
    return gestionale_client_for(gestionale_standin)


def pytest_terminal_summary(terminalreporter) -> None:
    """The figures the crash tests reported (``figures.py``), one line each, at the end of the run."""
    if REPORTED:
        terminalreporter.section("reliability figures")
        for line in REPORTED:
            terminalreporter.write_line(line)
