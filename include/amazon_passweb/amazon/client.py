"""Orders client: all orders updated in a window, as domain orders, for API v2026-01-01 or legacy v0;
and shipment confirmation, the same for both.

v2026: ``searchOrders`` pages of up to 100 orders with items, buyer, address and
proceeds embedded (``includedData``), so the minimum number of calls is one per page.
v0: ``getOrders`` pages (buyer and address through a Restricted Data Token) plus one
``getOrderItems`` call per order.
Shipments: v2026 ``getOrder`` reads what Amazon has (``shipment_state``), v0 ``confirmShipment``
(the only operation that writes it) sends one package (``confirm_shipment``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import requests

from amazon_passweb.amazon.errors import MalformedResponseError, SpApiError
from amazon_passweb.amazon.lwa import LwaTokenProvider
from amazon_passweb.amazon.mapping_common import MappingError
from amazon_passweb.amazon.models import AmazonOrder
from amazon_passweb.amazon.rate_limit import RateLimiter
from amazon_passweb.amazon.restricted_token import RestrictedDataTokenProvider
from amazon_passweb.amazon.settings import SpApiSettings
from amazon_passweb.amazon.shipments import AmazonShipmentState, PackageConfirmation, ShipmentRefused
from amazon_passweb.amazon.transport import CallStats, SpApiTransport, TransportClient
from amazon_passweb.amazon.v0 import V0_STATUSES, order_from_v0
from amazon_passweb.amazon.v2026 import INCLUDED_DATA, order_from_v2026
from amazon_passweb.config import AmazonStatus
from amazon_passweb.orders.dates import AMAZON_END_MARGIN

log = logging.getLogger(__name__)

ApiVersion = Literal["2026-01-01", "v0"]
# Amazon rejects a ...Before later than two minutes before the request. Exactly two minutes, so a
# window the importer ended at "now - 2 min" a moment ago is never cut short.
MIN_BEFORE_AGE = AMAZON_END_MARGIN  # Amazon refuses a later lastUpdatedBefore (orders.dates)
MAX_PAGE_SIZE = 100
ORDER_SHAPE = "UnexpectedOrderShape"  # the code of an order Amazon sent that cannot be read
SHIPMENT_DATA = ("FULFILLMENT", "PACKAGES")  # what shipment_state asks getOrder for


@dataclass(frozen=True)
class RejectedOrder:
    """An order Amazon sent in a shape the product cannot read: kept raw, with the reason."""

    amazon_order_id: str | None
    raw: Any
    error: str


OnRejected = Callable[[RejectedOrder], None]


@dataclass
class FetchResult:
    orders: list[AmazonOrder]
    window_start: datetime
    window_end: datetime  # the (clamped) lastUpdatedBefore actually asked for: the next watermark
    pages: int
    stats: CallStats


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("window bounds must be timezone-aware datetimes")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class OrdersClient(TransportClient):
    def __init__(
        self,
        settings: SpApiSettings,
        api_version: ApiVersion = "2026-01-01",
        *,
        session: requests.Session | None = None,
        limiter: RateLimiter | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ):
        if api_version not in ("2026-01-01", "v0"):
            raise ValueError(f"unsupported Orders API version {api_version!r}")
        self.settings = settings
        self.api_version = api_version
        # A session passed in (e.g. by SpApiHook) is handed over: close() closes it too.
        self.session = session or requests.Session()
        self.lwa = LwaTokenProvider(settings, self.session)
        self.transport = SpApiTransport(settings, self.session, self.lwa, limiter, sleep=sleep)
        self.rdt = RestrictedDataTokenProvider(self.transport)
        self._now = now

    def clamp_before(self, before: datetime | None) -> datetime:
        """``before``, or now - 2 minutes if it is later (or None): Amazon's limit.

        Whole seconds, as sent to Amazon, so the result is exactly the window end asked for.
        """
        latest = self._now() - MIN_BEFORE_AGE
        if before is not None and before > latest:
            log.warning("lastUpdatedBefore %s is less than 2 minutes ago; using %s", _iso(before), _iso(latest))
        chosen = latest if before is None or before > latest else before
        return chosen.replace(microsecond=0)

    def fetch_orders(
        self,
        last_updated_after: datetime,
        last_updated_before: datetime | None = None,
        *,
        marketplace_ids: Iterable[str],
        statuses: Iterable[AmazonStatus] | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> FetchResult:
        """Every order updated in [after, before) with the given statuses, all pages."""
        before = self.clamp_before(last_updated_before)
        orders: list[AmazonOrder] = []
        pages = 0
        for page in self.iter_pages(
            last_updated_after, before,
            marketplace_ids=marketplace_ids, statuses=statuses, page_size=page_size,
        ):
            pages += 1
            orders.extend(page)
        stats = self.stats
        log.info(
            "fetched %d orders updated %s .. %s in %d pages: %d calls, %d answered 429, %d retries, "
            "%.1f s waited on rate limits",
            len(orders), _iso(last_updated_after), _iso(before), pages, stats.total_calls, stats.throttled,
            stats.retries, stats.rate_limit_wait,
        )
        return FetchResult(orders, last_updated_after, before, pages, stats)

    def iter_pages(
        self,
        last_updated_after: datetime,
        last_updated_before: datetime | None = None,
        *,
        marketplace_ids: Iterable[str],
        statuses: Iterable[AmazonStatus] | None = None,
        page_size: int = MAX_PAGE_SIZE,
        on_rejected: OnRejected | None = None,
    ) -> Iterator[list[AmazonOrder]]:
        """Yield the orders page by page (a caller can store each page before the next is fetched).

        An order that cannot be read fails the whole fetch, unless ``on_rejected`` is given: then
        it is handed there and the rest of the page goes on (one hostile order never blocks a batch)."""
        before = self.clamp_before(last_updated_before)
        if last_updated_after >= before:
            log.info("window %s .. %s is empty (before is clamped to now - 2 min)",
                     last_updated_after, before)
            return
        marketplaces = list(marketplace_ids)
        wanted = [AmazonStatus(s) for s in statuses] if statuses is not None else None
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}")
        pages = self._v2026_pages if self.api_version == "2026-01-01" else self._v0_pages
        total = 0
        reject = on_rejected or _raise_rejected
        for number, page in enumerate(
            pages(last_updated_after, before, marketplaces, wanted, page_size, reject), 1
        ):
            total += len(page)
            log.info(
                "Orders API %s page %d: %d orders (%d so far), %.1f s waited on rate limits, %d calls",
                self.api_version, number, len(page), total,
                self.stats.rate_limit_wait, self.stats.total_calls,
            )
            yield page

    def get_order(self, order_id: str) -> AmazonOrder:
        if self.api_version == "2026-01-01":
            body = self.transport.call(
                "getOrder", "GET", f"/orders/2026-01-01/orders/{order_id}",
                params={"includedData": list(INCLUDED_DATA)},
            )
            return _map("getOrder", lambda: order_from_v2026(_expect_dict(body, "order", "getOrder")))
        body = self.transport.call("getOrderV0", "GET", f"/orders/v0/orders/{order_id}", token=self.rdt)
        raw = _expect_dict(body, "payload", "getOrder")
        return _map("getOrder", lambda: order_from_v0(raw, self._v0_items(order_id)))

    # -- shipments ---------------------------------------------------------------------------------

    def shipment_state(self, order_id: str) -> AmazonShipmentState:
        """What Amazon already has for this order: status, packages, quantities shipped per item.

        v2026 ``getOrder`` whatever ``api_version`` (v0 has no packages); its bucket (0.5/s, burst
        30) is the one ``get_order`` uses. No buyer data is asked for."""
        body = self.transport.call(
            "getOrder", "GET", f"/orders/2026-01-01/orders/{order_id}",
            params={"includedData": list(SHIPMENT_DATA)},
        )
        raw = _expect_dict(body, "order", "getOrder")
        try:
            return AmazonShipmentState.from_v2026(raw)
        except (ValueError, TypeError, AttributeError) as error:
            raise MalformedResponseError("getOrder", 200, ORDER_SHAPE, f"order {order_id}: {error}") from None

    def confirm_shipment(self, order_id: str, marketplace_id: str, package: PackageConfirmation) -> None:
        """Tell Amazon one package has shipped (v0 ``confirmShipment``, 2/s burst 10, answer 204).

        The same ``package_reference_id`` again edits the package, so a retry after a lost answer
        never makes a second one. 429/5xx/timeouts are retried by the transport; a 400 raises
        ``ShipmentRefused`` (the data must change). It carries no buyer data, so the LWA access
        token is used, not a Restricted Data Token (confirmShipment is not a restricted operation)."""
        body = package.request_body(marketplace_id, self._now())
        try:
            self.transport.call(
                "confirmShipment", "POST", f"/orders/v0/orders/{order_id}/shipmentConfirmation", json=body
            )
        except SpApiError as error:
            if error.status == 400:
                log.warning("order %s: Amazon refused package %s: %s", order_id, package.package_reference_id,
                            error.code)
                raise ShipmentRefused(
                    error.operation, error.status, error.code, error.amazon_message, error.details
                ) from None
            raise
        log.info("order %s: package %s confirmed to Amazon (%s, %d items)", order_id,
                 package.package_reference_id, package.carrier_code, len(package.items))

    # -- v2026-01-01 ---------------------------------------------------------------------------

    def _v2026_pages(
        self, after: datetime, before: datetime, marketplaces: list[str],
        statuses: list[AmazonStatus] | None, page_size: int, reject: OnRejected,
    ) -> Iterator[list[AmazonOrder]]:
        params: dict[str, Any] = {
            "lastUpdatedAfter": _iso(after),
            "lastUpdatedBefore": _iso(before),
            "marketplaceIds": marketplaces,
            "includedData": list(INCLUDED_DATA),
            "maxResultsPerPage": page_size,
        }
        if statuses:
            params["fulfillmentStatuses"] = [s.value for s in statuses]
        token: str | None = None
        while True:
            body = self.transport.call(
                "searchOrders", "GET", "/orders/2026-01-01/orders",
                params={**params, "paginationToken": token} if token else params,
            )
            raw_orders = body.get("orders")
            if not isinstance(raw_orders, list):
                raise MalformedResponseError("searchOrders", 200, "MalformedResponse", "no 'orders' list")
            yield _readable("searchOrders", raw_orders, order_from_v2026, reject)
            token = (body.get("pagination") or {}).get("nextToken")
            if not token:
                return

    # -- v0 (legacy) ------------------------------------------------------------------------------

    def _v0_pages(
        self, after: datetime, before: datetime, marketplaces: list[str],
        statuses: list[AmazonStatus] | None, page_size: int, reject: OnRejected,
    ) -> Iterator[list[AmazonOrder]]:
        params: dict[str, Any] = {
            "MarketplaceIds": marketplaces,
            "LastUpdatedAfter": _iso(after),
            "LastUpdatedBefore": _iso(before),
            "MaxResultsPerPage": page_size,
        }
        if statuses:
            params["OrderStatuses"] = [name for s in statuses for name in V0_STATUSES[s]]
        token: str | None = None
        while True:
            query = {"MarketplaceIds": marketplaces, "NextToken": token} if token else params
            body = self.transport.call("getOrders", "GET", "/orders/v0/orders", params=query, token=self.rdt)
            payload = _expect_dict(body, "payload", "getOrders")
            raw_orders = payload.get("Orders")
            if not isinstance(raw_orders, list):
                raise MalformedResponseError("getOrders", 200, "MalformedResponse", "no 'Orders' list")
            with_items = []
            for raw in raw_orders:
                order_id = raw.get("AmazonOrderId") if isinstance(raw, dict) else None
                if not order_id:  # nothing to ask items for: the mapper rejects the order
                    with_items.append((raw, []))
                    continue
                try:
                    with_items.append((raw, self._v0_items(str(order_id))))
                except MalformedResponseError as error:
                    if error.code != ORDER_SHAPE:
                        raise
                    # one order's items unreadable: that order is set aside, the page goes on
                    log.warning("getOrderItems: order %s cannot be read and is set aside: %s", order_id, error)
                    reject(RejectedOrder(str(order_id), raw, str(error)))
            yield _readable("getOrders", with_items, lambda pair: order_from_v0(*pair), reject)
            token = payload.get("NextToken")
            if not token:
                return

    def _v0_items(self, order_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            body = self.transport.call(
                "getOrderItems", "GET", f"/orders/v0/orders/{order_id}/orderItems",
                params={"NextToken": token} if token else None, token=self.rdt,
            )
            payload = _expect_dict(body, "payload", "getOrderItems")
            if "OrderItems" not in payload:
                raise MalformedResponseError("getOrderItems", 200, "MalformedResponse", "no 'OrderItems'")
            if not isinstance(payload["OrderItems"], list):  # the order's data, not the answer, is wrong
                raise MalformedResponseError("getOrderItems", 200, ORDER_SHAPE, f"order {order_id}: "
                                             "OrderItems is not a list of items")
            items.extend(payload["OrderItems"])
            token = payload.get("NextToken")
            if not token:
                return items


def _expect_dict(body: dict[str, Any], key: str, operation: str) -> dict[str, Any]:
    value = body.get(key)
    if not isinstance(value, dict):
        raise MalformedResponseError(operation, 200, "MalformedResponse", f"no '{key}' object in the body")
    return value


def _readable(operation: str, raws: list, build: Callable[[Any], AmazonOrder], reject: OnRejected
              ) -> list[AmazonOrder]:
    orders = []
    for raw in raws:
        try:
            orders.append(_map(operation, lambda raw=raw: build(raw)))
        except MalformedResponseError as error:
            data = raw[0] if isinstance(raw, tuple) else raw
            order_id = (data.get("orderId") or data.get("AmazonOrderId")) if isinstance(data, dict) else None
            log.warning("%s: order %s cannot be read and is set aside: %s", operation, order_id, error)
            reject(RejectedOrder(str(order_id) if order_id else None, data, str(error)))
    return orders


def _raise_rejected(rejected: RejectedOrder) -> None:
    raise MalformedResponseError("searchOrders", 200, ORDER_SHAPE, rejected.error)


def _map(operation: str, build: Callable[[], AmazonOrder]) -> AmazonOrder:
    try:
        return build()
    except (MappingError, ValueError, TypeError, KeyError, AttributeError, ArithmeticError) as error:
        raise MalformedResponseError(operation, 200, ORDER_SHAPE, str(error)) from None
