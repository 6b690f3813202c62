"""Token buckets: no 429 under Amazon's default usage plans at scaled time, and the granted-rate header."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from amazon_passweb.amazon.rate_limit import RateLimiter, TokenBucket, lower_bound_seconds
from sandbox.amazon.generate import MARKETPLACE_IDS, generate_orders

SINCE = datetime(2026, 9, 1, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_bucket_burst_then_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate=0.5, burst=3, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(3)]
    assert waits == [0, 0, 0]
    bucket.settle()
    assert bucket.acquire() == 2.0  # one token every 2 s once the burst is spent
    assert clock.now == 2.0


def test_refill_starts_when_amazon_saw_the_call():
    clock = FakeClock()
    bucket = TokenBucket(rate=1.0, burst=1, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    clock.now = 0.4  # the answer arrives 0.4 s later: Amazon's refill began at most then
    bucket.settle()
    assert bucket.acquire() == 1.0 and clock.now == 1.4


def test_drain_and_granted_rate():
    clock = FakeClock()
    limiter = RateLimiter(time_scale=10, plans={"op": (0.5, 2)}, clock=clock, sleep=clock.sleep)
    bucket = limiter.bucket("seller", "op")
    assert bucket.rate == 5.0
    bucket.drain()
    assert limiter.acquire("seller", "op") == 0.2
    limiter.observe_limit_header("seller", "op", "2")
    assert bucket.rate == 20.0
    limiter.observe_limit_header("seller", "op", "0.1")  # a lower granted rate is followed too
    assert bucket.rate == 1.0
    for nonsense in ("0", "-1", "fast", "", None):
        limiter.observe_limit_header("seller", "op", nonsense)
        assert bucket.rate == 1.0


def test_lower_bound():
    assert lower_bound_seconds(50, 0.0056, 20) == 30 / 0.0056
    assert lower_bound_seconds(10, 0.5, 30) == 0


def test_v2026_beyond_the_burst_without_429(standin_factory, client_factory):
    """23 pages: 20 from the burst, 3 at 0.0056 req/s (100x faster here).

    Sending faster than Amazon's bucket allows would draw 429s; none, and not faster than the bound,
    means the client paced itself to the usage plan.
    """
    orders = generate_orders(230, seed=21)
    standin = standin_factory(orders, time_scale=100.0)
    client = client_factory(standin)
    started = time.monotonic()
    result = client.fetch_orders(SINCE, marketplace_ids=MARKETPLACE_IDS, page_size=10)
    elapsed = time.monotonic() - started
    bound = lower_bound_seconds(23, 0.0056 * 100, 20)
    assert len(result.orders) == 230 and result.pages == 23
    assert standin.state.counters.throttled == {} and client.stats.throttled == 0
    assert bound <= elapsed < bound * 1.5


def test_v0_items_beyond_the_burst_without_429(standin_factory, client_factory):
    """90 getOrderItems calls: 30 from the burst, 60 at 0.5 req/s (100x faster here)."""
    orders = generate_orders(90, seed=22)
    standin = standin_factory(orders, time_scale=100.0)
    client = client_factory(standin, "v0")
    started = time.monotonic()
    result = client.fetch_orders(SINCE, marketplace_ids=MARKETPLACE_IDS)
    elapsed = time.monotonic() - started
    bound = lower_bound_seconds(90, 0.5 * 100, 30)
    assert len(result.orders) == 90
    assert client.stats.calls == {"createRestrictedDataToken": 1, "getOrders": 1, "getOrderItems": 90}
    assert standin.state.counters.throttled == {} and client.stats.throttled == 0
    assert bound <= elapsed < bound * 1.5


def test_granted_rate_header_is_adopted(standin_factory, client_factory):
    """A seller granted 10x the searchOrders rate waits a tenth as long for its pages."""
    orders = generate_orders(230, seed=21)
    standin = standin_factory(orders, time_scale=100.0, granted_rates={"searchOrders": 0.056})
    client = client_factory(standin)
    client.fetch_orders(SINCE, marketplace_ids=MARKETPLACE_IDS, page_size=10)
    default_bound = lower_bound_seconds(23, 0.0056 * 100, 20)
    assert client.transport.limiter.bucket("default", "searchOrders").rate == 0.056 * 100
    assert client.stats.rate_limit_wait < default_bound / 5
    assert standin.state.counters.throttled == {}


def test_a_lower_granted_rate_is_followed_without_429(standin_factory, client_factory):
    """A seller granted half the default searchOrders rate: pacing to the header avoids Amazon's 429s."""
    orders = generate_orders(230, seed=21)
    standin = standin_factory(orders, time_scale=100.0, granted_rates={"searchOrders": 0.0028})
    client = client_factory(standin)
    client.fetch_orders(SINCE, marketplace_ids=MARKETPLACE_IDS, page_size=10)
    assert client.transport.limiter.bucket("default", "searchOrders").rate == pytest.approx(0.0028 * 100)
    assert standin.state.counters.throttled == {}
