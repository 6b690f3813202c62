"""Fixtures: the shared gestionale stand-in (tests/fixtures/standins.py) with this folder's WebAPI
user and a lockout after three failed logins, reset before each test that uses it."""

from __future__ import annotations

import pytest
from gestionale_builders import AZIENDA, DOMINIO, PASSWORD, USER, make_settings

from amazon_passweb.config import load_accounts
from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.settings import WebApiSettings
from sandbox.gestionale.gate import AuthSettings
from sandbox.gestionale.server import RunningStandIn, running_standin


@pytest.fixture(scope="session")
def gestionale_server(tmp_path_factory):
    """Overrides the shared one: a stand-in of this folder's own, with its users."""
    auth = AuthSettings(users={USER: PASSWORD}, dominio=DOMINIO, aziende=(AZIENDA,), lockout_after=3)
    with running_standin(tmp_path_factory.mktemp("gestionale"), auth=auth) as running:
        yield running


@pytest.fixture
def standin(gestionale_standin: RunningStandIn) -> RunningStandIn:
    """The running stand-in, emptied: seeded articles only, no faults, no lockouts."""
    return gestionale_standin


@pytest.fixture
def settings(standin) -> WebApiSettings:
    return make_settings(standin.base_url)


@pytest.fixture
def client(settings) -> GestionaleClient:
    return GestionaleClient(settings, settle_s=0.02)


@pytest.fixture(scope="session")
def account():
    return load_accounts().account("it_main")
