"""Fixtures of the importer tests: the example accounts, a fresh site store per test with the
gestionale catalogue's articles (as an article sync would leave it), the gestionale stand-in, and
the importer wired to them. The stand-in, the store and the SMTP sink are the shared ones
(tests/fixtures)."""

from __future__ import annotations

import pytest
from importer_helpers import GestionaleDb, Importer

from amazon_passweb.config import AccountConfig
from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.site.unit_of_work import SiteStore
from sandbox.gestionale.server import RunningStandIn


@pytest.fixture
def it_main(accounts) -> AccountConfig:
    """Italy, MFN warehouse 1 / AFN 9, carriers BRT (paid) / GLS (free), mastri 501 then 502."""
    return accounts.account("it_main")


@pytest.fixture
def eu_de_fr(accounts) -> AccountConfig:
    """Germany and France, with the AFN placeholder customer 503.99999."""
    return accounts.account("eu_de_fr")


@pytest.fixture
def store(seeded_store: SiteStore) -> SiteStore:
    return seeded_store


@pytest.fixture
def standin(gestionale_standin: RunningStandIn) -> RunningStandIn:
    return gestionale_standin


@pytest.fixture
def client(gestionale_client: GestionaleClient) -> GestionaleClient:
    return gestionale_client


@pytest.fixture
def gestionale_db(standin: RunningStandIn) -> GestionaleDb:
    return GestionaleDb(standin.store.path)


@pytest.fixture
def importer(store: SiteStore, client: GestionaleClient, it_main: AccountConfig) -> Importer:
    return Importer(store, client, it_main)
