"""Fixtures of the shipment tests: the example account it_main, a seeded SQLite site store, the
gestionale stand-in with its client, and Amazon stand-ins (tests/fixtures)."""

from __future__ import annotations

import pytest

from amazon_passweb.config import AccountConfig


@pytest.fixture
def it_main(accounts) -> AccountConfig:
    return accounts.account("it_main")
