"""The stand-in's moving parts: scaled clock, token buckets, issued tokens, pagination tokens, faults."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

# operation -> (requests per second, burst): Amazon's default usage plans.
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
    # Notifications API v1 (notifications.json): 1 request per second, burst 5, for each operation.
    "createDestination": (1.0, 5),
    "getDestinations": (1.0, 5),
    "getDestination": (1.0, 5),
    "deleteDestination": (1.0, 5),
    "createSubscription": (1.0, 5),
    "getSubscription": (1.0, 5),
    "getSubscriptions": (1.0, 5),
    "getSubscriptionById": (1.0, 5),
    "deleteSubscriptionById": (1.0, 5),
}
# The LWA scope of a grantless token for the Notifications API.
NOTIFICATIONS_SCOPE = "sellingpartnerapi::notifications"
DEFAULT_SELLER_ID = "A1STANDINSELLER"


@dataclass
class Faults:
    """Probabilities are per SP-API call (the LWA endpoint only sees ``token_expiry_probability``)."""

    p429: float = 0.0
    p500: float = 0.0
    p503: float = 0.0
    latency: float = 0.0  # seconds added to every SP-API answer (real seconds)
    timeout_probability: float = 0.0
    timeout_seconds: float = 5.0  # how long a "timed out" call hangs before answering
    malformed_probability: float = 0.0  # 200 with a body that is not JSON
    truncated_probability: float = 0.0  # 200 with the JSON cut in half
    token_expiry_probability: float = 0.0  # a valid access token is reported as expired
    seed: int | None = None


@dataclass
class StandInConfig:
    client_id: str = "amzn1.application-oa2-client.standin"
    client_secret: str = "standin-client-secret"
    refresh_token: str = "Atzr|standin-refresh-token"
    time_scale: float = 1.0
    token_lifetime: float = 3600.0  # Amazon seconds
    rdt_lifetime: float = 3600.0
    pagination_token_lifetime: float = 7200.0  # Amazon seconds
    enforce_rate_limits: bool = True
    usage_plans: dict[str, tuple[float, int]] = field(default_factory=lambda: dict(USAGE_PLANS))
    # Rates granted to this seller above the defaults, announced in x-amzn-RateLimit-Limit.
    granted_rates: dict[str, float] = field(default_factory=dict)
    send_rate_limit_header: bool = True
    static_sandbox: bool = False  # answer only Amazon's x-amzn-api-sandbox examples
    faults: Faults = field(default_factory=Faults)
    # The marketplaces the seller is registered in (None: every one). An order search naming another
    # is refused as a whole: 403 Unauthorized, "Access to requested resource is denied.".
    linked_marketplaces: tuple[str, ...] | None = None
    # The seller the refresh token stands for (SellerId of the notifications), the application the
    # notifications name (ApplicationId) and the SQS endpoint destinations are served by (None: no
    # queue can be reached; every notification then counts as failed).
    seller_id: str = DEFAULT_SELLER_ID
    application_id: str = "amzn1.sp.solution.standin"
    sqs_endpoint: str | None = None

    def unlinked(self, marketplaces: list[str]) -> list[str]:
        """The requested marketplaces the seller is not registered in."""
        if self.linked_marketplaces is None:
            return []
        return [marketplace for marketplace in marketplaces if marketplace not in self.linked_marketplaces]


class ScaledClock:
    """Amazon seconds: real seconds since start multiplied by the time scale."""

    def __init__(self, scale: float):
        self.scale = scale
        self._origin = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._origin) * self.scale


class Bucket:
    def __init__(self, rate: float, burst: int, clock: ScaledClock):
        self.rate, self.burst, self._clock = rate, burst, clock
        self.tokens = float(burst)
        self.updated = clock.now()

    def take(self) -> bool:
        now = self._clock.now()
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class Counters:
    calls: dict[str, int] = field(default_factory=dict)
    throttled: dict[str, int] = field(default_factory=dict)
    faults: int = 0  # error answers injected (429, 500, 503)
    fault_kinds: dict[str, int] = field(default_factory=dict)  # the same by kind, and the answers held back
    lwa_tokens: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "throttled": self.throttled,
            "faults": self.faults,
            "fault_kinds": self.fault_kinds,
            "lwa_tokens": self.lwa_tokens,
        }


class StandInState:
    def __init__(self, config: StandInConfig, orders: list[dict[str, Any]]):
        self.config = config
        self.orders = orders
        self.clock = ScaledClock(config.time_scale)
        self.lock = threading.Lock()
        self.counters = Counters()
        self._buckets: dict[str, Bucket] = {}
        self._access_tokens: dict[str, float] = {}  # token -> expiry (Amazon seconds)
        self._grantless_tokens: set[str] = set()  # the access tokens of client_credentials grants
        self._rdts: dict[str, tuple[float, list[dict[str, Any]]]] = {}
        self._secret = secrets.token_bytes(16)
        self.set_faults(config.faults)

    # -- faults ---------------------------------------------------------------------------------

    def set_faults(self, faults: Faults) -> None:
        with self.lock:
            self.config.faults = faults
            self.random = random.Random(faults.seed)

    def roll(self, probability: float) -> bool:
        if probability <= 0:
            return False
        with self.lock:
            return self.random.random() < probability

    # -- rate limits ------------------------------------------------------------------------------

    def plan_rate(self, operation: str) -> float:
        rate, _ = self.config.usage_plans[operation]
        return self.config.granted_rates.get(operation, rate)

    def take_token(self, operation: str) -> bool:
        with self.lock:
            self.counters.calls[operation] = self.counters.calls.get(operation, 0) + 1
            if not self.config.enforce_rate_limits:
                return True
            bucket = self._buckets.get(operation)
            if bucket is None:
                _, burst = self.config.usage_plans[operation]
                bucket = self._buckets[operation] = Bucket(self.plan_rate(operation), burst, self.clock)
            if bucket.take():
                return True
            self.counters.throttled[operation] = self.counters.throttled.get(operation, 0) + 1
            return False

    def reset(self) -> None:
        """Full buckets and zero counters, e.g. between benchmark runs."""
        with self.lock:
            self._buckets.clear()
            self.counters = Counters()

    # -- access tokens ------------------------------------------------------------------------------

    def issue_access_token(self, grantless: bool = False) -> str:
        """A seller's access token (refresh_token grant), or a grantless one (client_credentials)."""
        token = "Atza|" + secrets.token_urlsafe(24)
        with self.lock:
            self._access_tokens[token] = self.clock.now() + self.config.token_lifetime
            if grantless:
                self._grantless_tokens.add(token)
            self.counters.lwa_tokens += 1
        return token

    def is_grantless(self, token: str | None) -> bool:
        with self.lock:
            return token in self._grantless_tokens

    def issue_rdt(self, resources: list[dict[str, Any]]) -> str:
        token = "Atz.sprdt|" + secrets.token_urlsafe(24)
        with self.lock:
            self._rdts[token] = (self.clock.now() + self.config.rdt_lifetime, resources)
        return token

    def check_token(self, token: str | None) -> tuple[str, list[dict[str, Any]] | None]:
        """("ok" | "expired" | "invalid", RDT resources or None)."""
        if not token:
            return "invalid", None
        with self.lock:
            now = self.clock.now()
            if token in self._access_tokens:
                return ("ok" if now < self._access_tokens[token] else "expired"), None
            if token in self._rdts:
                expiry, resources = self._rdts[token]
                return ("ok" if now < expiry else "expired"), resources
        return "invalid", None

    # -- pagination tokens ----------------------------------------------------------------------------

    def make_page_token(self, query: dict[str, Any], offset: int) -> str:
        body = json.dumps({"q": query, "o": offset, "t": self.clock.now()}, separators=(",", ":"))
        raw = body.encode()
        signature = hmac.new(self._secret, raw, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(signature + raw).decode().rstrip("=")

    def read_page_token(self, token: str) -> tuple[dict[str, Any], int] | str:
        """The query and offset, or a reason the token is refused."""
        try:
            data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, TypeError):
            return "is malformed"
        signature, raw = data[:12], data[12:]
        if not hmac.compare_digest(signature, hmac.new(self._secret, raw, hashlib.sha256).digest()[:12]):
            return "is invalid"
        payload = json.loads(raw)
        if self.clock.now() - payload["t"] > self.config.pagination_token_lifetime:
            return "has expired"
        return payload["q"], int(payload["o"])
