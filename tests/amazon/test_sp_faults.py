"""Injected failures: what is retried, what is not, and how malformed answers surface."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from amazon_passweb.amazon.errors import MalformedResponseError, SpApiError
from amazon_passweb.amazon.transport import SpApiTransport
from sandbox.amazon.generate import MARKETPLACE_IDS
from sandbox.amazon.state import Faults

SINCE = datetime(2026, 9, 1, tzinfo=UTC)


@pytest.mark.parametrize("api_version", ["2026-01-01", "v0"])
def test_recovers_from_429_and_5xx(standin_factory, client_factory, sample_orders, api_version):
    faults = Faults(p429=0.15, p500=0.1, p503=0.1, seed=7)
    standin = standin_factory(sample_orders[:120], faults=faults)
    client = client_factory(standin, api_version)
    result = client.fetch_orders(SINCE, marketplace_ids=MARKETPLACE_IDS, page_size=25)
    assert [o.amazon_order_id for o in result.orders] == [o["orderId"] for o in sample_orders[:120]]
    assert standin.state.counters.faults > 5
    assert client.stats.retries >= standin.state.counters.faults


def test_recovers_from_timeouts(standin_factory, client_factory, sample_orders):
    standin = standin_factory(sample_orders[:60], faults=Faults(timeout_probability=0.3, timeout_seconds=1.0,
                                                                seed=2))
    client = client_factory(standin, timeout=0.25)
    result = client.fetch_orders(SINCE, marketplace_ids=MARKETPLACE_IDS, page_size=10)
    assert len(result.orders) == 60
    assert client.stats.retries >= 1
    assert client.stats.calls["searchOrders"] == 6 + client.stats.retries


def test_latency_is_added(standin_factory, client_factory, sample_orders):
    standin = standin_factory(sample_orders, faults=Faults(latency=0.2))
    client = client_factory(standin)
    started = datetime.now(UTC)
    client.get_order(sample_orders[0]["orderId"])
    assert (datetime.now(UTC) - started).total_seconds() >= 0.2


def test_400_is_not_retried(standin_factory, client_factory):
    standin = standin_factory([])
    client = client_factory(standin, validate=False)
    with pytest.raises(SpApiError) as failure:
        client.transport.call("searchOrders", "GET", "/orders/2026-01-01/orders",
                              params={"lastUpdatedAfter": "not-a-date"})
    assert (failure.value.status, failure.value.code, failure.value.operation) == (
        400, "InvalidInput", "searchOrders")
    assert "searchOrders: HTTP 400 InvalidInput" in str(failure.value)
    assert standin.state.counters.calls == {"searchOrders": 1}
    assert client.stats.retries == 0


class _BogusToken:
    def access_token(self) -> str:
        return "Atza|not-issued-by-amazon"

    def invalidate(self, token: str) -> None:
        raise AssertionError("a refused (not expired) token must not be refreshed")


def test_403_is_not_retried(standin_factory, client_factory):
    standin = standin_factory([])
    client = client_factory(standin)
    transport = SpApiTransport(client.settings, client.session, _BogusToken())
    with pytest.raises(SpApiError) as failure:
        transport.call("getOrder", "GET", "/orders/2026-01-01/orders/402-1234567-1234567")
    assert (failure.value.status, failure.value.code) == (403, "Unauthorized")
    assert standin.state.counters.calls == {} and transport.stats.calls == {"getOrder": 1}
    assert transport.stats.retries == 0


@pytest.mark.parametrize("fault", ["malformed_probability", "truncated_probability"])
def test_malformed_json_gives_a_clear_error(standin_factory, client_factory, sample_orders, fault):
    standin = standin_factory(sample_orders, faults=Faults(**{fault: 1.0}))
    client = client_factory(standin, validate=False, max_attempts=3)
    with pytest.raises(MalformedResponseError) as failure:
        client.fetch_orders(SINCE, marketplace_ids=MARKETPLACE_IDS)
    message = str(failure.value)
    assert message.startswith("searchOrders: HTTP 200 MalformedResponse: body is not a JSON object")
    assert client.stats.calls == {"searchOrders": 3}


def test_an_answer_cut_short_is_never_quoted(standin_factory, client_factory, sample_orders, caplog):
    """A JSON answer cut in half opens with what it carries (the restricted-data token of
    createRestrictedDataToken, an order's buyer): the error, logged at every retry, names its size only."""
    standin = standin_factory(sample_orders[:5], faults=Faults(truncated_probability=1.0))
    client = client_factory(standin, "v0", validate=False, max_attempts=2)
    with caplog.at_level("WARNING", logger="amazon_passweb.amazon.transport"), \
            pytest.raises(MalformedResponseError) as failure:
        client.fetch_orders(SINCE, marketplace_ids=MARKETPLACE_IDS)
    logged = caplog.text + str(failure.value)
    assert "createRestrictedDataToken" in logged and "bytes" in logged and "not quoted" in logged
    assert "{" not in str(failure.value) and "Atz." not in logged and "restrictedDataToken" not in logged


def test_occasional_truncation_is_retried(standin_factory, client_factory, sample_orders):
    standin = standin_factory(sample_orders, faults=Faults(truncated_probability=0.3, seed=4))
    client = client_factory(standin, validate=False)
    result = client.fetch_orders(SINCE, marketplace_ids=MARKETPLACE_IDS, page_size=20)
    assert len(result.orders) == len(sample_orders) and client.stats.retries >= 1
