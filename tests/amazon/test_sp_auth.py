"""Login with Amazon: caching, refresh on expiry, refusal, and no credential in the logs."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import pytest

from amazon_passweb.amazon.errors import AuthenticationError, SpApiError
from sandbox.amazon.generate import MARKETPLACE_IDS
from sandbox.amazon.state import Faults

SINCE = datetime(2026, 9, 1, tzinfo=UTC)


def test_token_is_cached_between_calls(standin_factory, client_factory, sample_orders):
    standin = standin_factory(sample_orders)
    client = client_factory(standin)
    client.fetch_orders(SINCE, marketplace_ids=MARKETPLACE_IDS, page_size=100)
    client.fetch_orders(SINCE, marketplace_ids=MARKETPLACE_IDS, page_size=100)
    assert client.lwa.refreshes == 1 and standin.state.counters.lwa_tokens == 1


def test_token_is_refreshed_before_it_expires(standin_factory, client_factory, sample_orders):
    # Tokens live 100 Amazon seconds = 0.1 real seconds at 1000x.
    standin = standin_factory(sample_orders, token_lifetime=100)
    client = client_factory(standin)
    client.get_order(sample_orders[0]["orderId"])
    time.sleep(0.15)
    client.get_order(sample_orders[1]["orderId"])
    assert client.lwa.refreshes == 2
    assert client.stats.retries == 0  # refreshed proactively, not after a 403


def test_token_reported_expired_is_refreshed_once(standin_factory, client_factory, sample_orders):
    standin = standin_factory(sample_orders)
    client = client_factory(standin)
    client.get_order(sample_orders[0]["orderId"])
    standin.set_faults(Faults(token_expiry_probability=1.0))
    with pytest.raises(SpApiError) as failure:
        client.get_order(sample_orders[1]["orderId"])
    # One refresh, one more try, then the error surfaces instead of looping.
    assert failure.value.status == 403 and "expired" in failure.value.details
    assert client.lwa.refreshes == 2
    assert client.stats.calls["getOrder"] == 3
    assert standin.state.counters.calls["getOrder"] == 1  # the stand-in counts only authorised calls


def test_early_expiry_recovers(standin_factory, client_factory, sample_orders):
    standin = standin_factory(sample_orders, faults=Faults(token_expiry_probability=0.3, seed=5))
    client = client_factory(standin)
    result = client.fetch_orders(SINCE, marketplace_ids=MARKETPLACE_IDS, page_size=20)
    assert len(result.orders) == len(sample_orders)
    assert client.lwa.refreshes > 1


@pytest.mark.parametrize(
    ("override", "code"),
    [({"client_secret": "wrong"}, "invalid_client"), ({"refresh_token": "Atzr|revoked"}, "invalid_grant")],
)
def test_refused_login_is_not_retried(standin_factory, client_factory, override, code):
    standin = standin_factory([])
    client = client_factory(standin, **override)
    with pytest.raises(AuthenticationError) as failure:
        client.get_order("402-0000000-0000000")
    assert failure.value.code == code and failure.value.operation == "lwaToken"
    assert standin.state.counters.lwa_tokens == 0
    assert client.stats.total_calls == 0


def test_no_credential_or_token_in_logs(standin_factory, client_factory, sample_orders, caplog):
    standin = standin_factory(sample_orders, faults=Faults(p500=0.2, token_expiry_probability=0.03, seed=8))
    client = client_factory(standin, "v0")
    with caplog.at_level(logging.DEBUG):
        client.fetch_orders(SINCE, marketplace_ids=MARKETPLACE_IDS)
    text = caplog.text + repr(client.settings)
    secrets = [standin.config.client_secret, standin.config.refresh_token, "Atza|", "Atz.sprdt|"]
    assert client.stats.retries > 0  # the retry path, which logs errors, was exercised
    for secret in secrets:
        assert secret not in text
