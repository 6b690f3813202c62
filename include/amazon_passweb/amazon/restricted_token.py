"""Restricted Data Token (Tokens API) for v0's buyer and address data, cached like the LWA token."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from amazon_passweb.amazon.cached_token import CachedToken
from amazon_passweb.amazon.errors import MalformedResponseError

if TYPE_CHECKING:
    from amazon_passweb.amazon.transport import SpApiTransport

log = logging.getLogger(__name__)

OPERATION = "createRestrictedDataToken"
PATH = "/tokens/2021-03-01/restrictedDataToken"

# One token covers every v0 call the import makes: bulk getOrders with buyer data and
# address, and order items (gift wrap lives in the items' buyer info).
_BUYER_AND_ADDRESS = ["buyerInfo", "shippingAddress"]
V0_RESOURCES: list[dict[str, Any]] = [
    {"method": "GET", "path": "/orders/v0/orders", "dataElements": _BUYER_AND_ADDRESS},
    {"method": "GET", "path": "/orders/v0/orders/{orderId}", "dataElements": _BUYER_AND_ADDRESS},
    {"method": "GET", "path": "/orders/v0/orders/{orderId}/orderItems", "dataElements": ["buyerInfo"]},
]


class RestrictedDataTokenProvider(CachedToken):
    def __init__(
        self,
        transport: SpApiTransport,
        resources: list[dict[str, Any]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__(clock, transport.settings.time_scale)
        self._transport = transport
        self._resources = resources or V0_RESOURCES

    def _obtain(self) -> tuple[str, float]:
        body: dict[str, Any] = {"restrictedResources": self._resources}
        target = self._transport.settings.target_application
        if target:
            body["targetApplication"] = target
        answer = self._transport.call(OPERATION, "POST", PATH, json=body)
        token = answer.get("restrictedDataToken")
        if not isinstance(token, str):
            raise MalformedResponseError(OPERATION, 200, "MalformedResponse", "no restrictedDataToken")
        lifetime = float(answer.get("expiresIn", 3600))
        log.info("restricted data token created, valid for %.0f s", lifetime / self._time_scale)
        return token, lifetime
