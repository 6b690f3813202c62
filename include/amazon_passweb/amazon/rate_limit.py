"""Client-side token buckets mirroring Amazon's usage plans, so calls wait instead of getting 429."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

# operation -> (requests per second, burst), Amazon's documented defaults.
USAGE_PLANS: dict[str, tuple[float, int]] = {
    "searchOrders": (0.0056, 20),
    "getOrder": (0.5, 30),
    "getOrders": (0.0167, 20),
    "getOrderV0": (0.5, 30),
    "getOrderItems": (0.5, 30),
    "getOrderAddress": (0.5, 30),
    "getOrderBuyerInfo": (0.5, 30),
    "createRestrictedDataToken": (1.0, 10),
    "confirmShipment": (2.0, 10),
    # Notifications API v1: every operation 1/s burst 5.
    "getDestinations": (1.0, 5),
    "getDestination": (1.0, 5),
    "createDestination": (1.0, 5),
    "getSubscription": (1.0, 5),
    "createSubscription": (1.0, 5),
}
# Float slack so that a refill of 0.9999999 tokens counts as one instead of sleeping for ~0 s forever.
EPSILON = 1e-9


@dataclass
class TokenBucket:
    """Holds at most ``burst`` tokens, refills at ``rate`` per second; one call takes one token."""

    rate: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)
        self._updated = self.clock()
        # Amazon's bucket starts refilling only when our call reaches it, later than we send it:
        # after taking from a full bucket, refill is held until ``settle()`` (the answer arrived).
        self._held = False
        self._lock = threading.Lock()

    def _refill(self, now: float) -> None:
        if not self._held:
            self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def acquire(self) -> float:
        """Take a token, sleeping until one is available; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                self._refill(now)
                if self._tokens >= 1.0 - EPSILON:
                    if self._tokens >= self.burst - EPSILON:
                        self._held = True
                    self._tokens = max(0.0, self._tokens - 1.0)
                    return waited
                if self._held:  # concurrent callers exhausted the burst before any answer came back
                    self._held = False
                delay = (1.0 - self._tokens) / self.rate
            self.sleep(delay)
            waited += delay

    def settle(self) -> None:
        """The call's answer arrived: Amazon's refill has certainly started by now."""
        with self._lock:
            if self._held:
                self._held = False
                self._updated = self.clock()

    def drain(self) -> None:
        """Amazon said the bucket is empty: believe it."""
        with self._lock:
            self._refill(self.clock())
            self._tokens = min(self._tokens, 0.0)

    def adopt_rate(self, rate: float) -> bool:
        """Adopt the rate Amazon says it applies (``x-amzn-RateLimit-Limit``), higher or lower than the
        default: pacing to a lower granted rate avoids the 429s that keeping the default would draw."""
        with self._lock:
            if rate <= 0 or rate == self.rate:
                return False
            self._refill(self.clock())
            self.rate = rate
            return True


class RateLimiter:
    """One bucket per (selling partner, operation), rates scaled by the time scale."""

    def __init__(
        self,
        time_scale: float = 1.0,
        plans: dict[str, tuple[float, int]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.time_scale = time_scale
        self.plans = dict(USAGE_PLANS if plans is None else plans)
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, selling_partner_id: str, operation: str) -> TokenBucket:
        key = (selling_partner_id, operation)
        with self._lock:
            if key not in self._buckets:
                rate, burst = self.plans.get(operation, (1.0, 1))
                self._buckets[key] = TokenBucket(rate * self.time_scale, burst, self._clock, self._sleep)
            return self._buckets[key]

    def acquire(self, selling_partner_id: str, operation: str) -> float:
        return self.bucket(selling_partner_id, operation).acquire()

    def observe_limit_header(self, selling_partner_id: str, operation: str, header: str | None) -> None:
        if not header:
            return
        try:
            granted = float(header)
        except ValueError:
            return
        if granted > 0 and self.bucket(selling_partner_id, operation).adopt_rate(granted * self.time_scale):
            default = self.plans.get(operation, (1.0, 1))[0]
            log.info("%s: Amazon applies %g requests/s (default %g): paced to it", operation, granted, default)


def lower_bound_seconds(calls: int, rate: float, burst: int) -> float:
    """Least time ``calls`` calls can take on a full bucket: the burst is free, the rest at ``rate``."""
    return max(0, calls - burst) / rate
