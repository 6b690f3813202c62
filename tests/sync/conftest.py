"""The sync tests' names for the shared fixtures (tests/fixtures): a fresh SQLite site store, the
gestionale stand-in and its client. ``site_url``, ``pii_key``, ``accounts``, ``mail_sink`` and
``postgres_url`` are the shared ones as they are."""

from __future__ import annotations

import pytest

from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.site.unit_of_work import SiteStore
from sandbox.gestionale.server import RunningStandIn


@pytest.fixture
def store(sqlite_store: SiteStore) -> SiteStore:
    """An empty store on ``site_url``: a sync starts from a site without articles."""
    return sqlite_store


@pytest.fixture
def standin(gestionale_standin: RunningStandIn) -> RunningStandIn:
    return gestionale_standin


@pytest.fixture
def client(gestionale_client: GestionaleClient) -> GestionaleClient:
    return gestionale_client
