"""The SP-API stand-in as a FastAPI application: LWA (refresh-token grants for the seller,
``client_credentials`` with scope ``sellingpartnerapi::notifications`` for grantless tokens), Orders
v2026-01-01 and v0 (with ``confirmShipment``), Tokens API, Notifications API v1 (destinations,
subscriptions; ORDER_CHANGE notifications sent to the destination's SQS queue at ``--sqs-endpoint``
on every new or changed order), and controls for demos and tests (no SP-API token needed):

- ``GET /_standin/stats``, ``PUT /_standin/faults``, ``POST /_standin/reset`` (also clears the
  notification faults and counts);
- ``POST /_sandbox/orders`` ``{"count": N, "seed": S, "fulfilledBy": "MERCHANT"}`` (seed and
  fulfilledBy optional): N new orders placed now, served by both API versions; answers
  ``{"orderIds": [...]}``;
- ``PUT /_standin/notification-faults`` ``{"duplicate": p, "drop": p, "delay_max_s": x, "seed": s,
  "drop_next": n, "duplicate_next": n}``: notifications sent twice, never sent, or each held back
  0..x seconds; ``GET /_standin/notifications``: counts (published, dropped, duplicated, delayed,
  failed, filtered, pending) and the notifications sent (orderId, notificationId, sentAt);
- ``POST /_standin/orders/{orderId}/cancel``: cancel an order that has shipped nothing;
- ``POST /_sandbox/orders/{orderId}``: apply a JSON merge patch (RFC 7396) to the stored v2026
  order, e.g. ``{"fulfillment": {"fulfillmentStatus": "CANCELLED"}}`` or a buyer's request
  ``{"orderItems": [{…, "cancellation": {"cancellationRequest": {"requester": "BUYER",
  "cancelReason": "…"}}}]}`` (arrays are replaced whole); ``lastUpdatedTime`` moves to now
  minus 3 minutes unless the patch sets it. Answers the patched order; both API versions show it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from sandbox.amazon import control, new_orders, orders_v0, orders_v2026, shipments
from sandbox.amazon.errors import (
    ACCESS_DENIED,
    QUOTA_EXCEEDED,
    TOKEN_EXPIRED_DETAILS,
    ApiError,
    error_body,
)
from sandbox.amazon.notifications import BUYER_REQUEST, STATUS_CHANGE, NotificationFaults, Publisher, SqsQueues
from sandbox.amazon.notifications_api import NotificationsApi
from sandbox.amazon.state import NOTIFICATIONS_SCOPE, Faults, StandInConfig, StandInState
from sandbox.amazon.static_examples import Example, find_example, load_examples
from sandbox.amazon.store import OrderStore

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, str], list[dict[str, Any]] | None, Any], Any]


def create_app(
    config: StandInConfig, orders: list[dict[str, Any]], examples: list[Example] | None = None
) -> FastAPI:
    state = StandInState(config, orders)
    store = OrderStore(orders)
    if config.static_sandbox and examples is None:
        examples = load_examples()
    app = FastAPI(title="SP-API stand-in", docs_url=None, redoc_url=None, openapi_url=None)
    queues = SqsQueues(config.sqs_endpoint)
    notifications = NotificationsApi(queues)
    publisher = Publisher(notifications, queues, config.seller_id, config.application_id)
    app.state.standin = state
    app.state.store = store
    app.state.notifications = notifications
    app.state.publisher = publisher

    # -- Login with Amazon ----------------------------------------------------------------------

    @app.post("/auth/o2/token")
    async def lwa_token(request: Request) -> JSONResponse:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("grant_type") not in ("refresh_token", "client_credentials"):
            return _lwa_error(400, "unsupported_grant_type", "The authorization grant type is not supported.")
        if form.get("client_id") != config.client_id or form.get("client_secret") != config.client_secret:
            return _lwa_error(401, "invalid_client", "Client authentication failed")
        if form["grant_type"] == "client_credentials":
            # A grantless token: for the application itself, not for a seller (no refresh token).
            if form.get("scope") != NOTIFICATIONS_SCOPE:
                return _lwa_error(400, "invalid_scope", "The request has an invalid parameter : scope")
            return JSONResponse({
                "access_token": state.issue_access_token(grantless=True),
                "scope": NOTIFICATIONS_SCOPE,
                "token_type": "bearer",
                "expires_in": int(config.token_lifetime),
            })
        if form.get("refresh_token") != config.refresh_token:
            return _lwa_error(
                400, "invalid_grant", "The request has an invalid grant parameter : refresh_token"
            )
        token = state.issue_access_token()
        return JSONResponse(
            {
                "access_token": token,
                "refresh_token": config.refresh_token,
                "token_type": "bearer",
                "expires_in": int(config.token_lifetime),
            }
        )

    # -- SP-API ------------------------------------------------------------------------------------

    async def sp_call(
        request: Request, operation: str, handler: Handler, *, rdt_allowed: bool = True, grantless: bool = False
    ) -> Response:
        """``grantless``: the operation takes only a grantless token; the others only a seller's."""
        query = dict(request.query_params)
        body = None
        if request.method in ("POST", "PUT", "PATCH"):
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                return _error(ApiError(400, "InvalidInput", "The request body is not valid JSON."))
        faults = config.faults
        status, resources = state.check_token(request.headers.get("x-amz-access-token"))
        if status == "ok" and state.roll(faults.token_expiry_probability):
            status = "expired"
        if status == "expired":
            return _error(ApiError(403, "Unauthorized", ACCESS_DENIED, TOKEN_EXPIRED_DETAILS))
        if status != "ok" or (resources is not None and not rdt_allowed):
            return _error(ApiError(403, "Unauthorized", ACCESS_DENIED))
        if state.is_grantless(request.headers.get("x-amz-access-token")) != grantless:
            return _error(ApiError(403, "Unauthorized", ACCESS_DENIED))
        if config.static_sandbox:
            return _static(examples or [], request, query, body)
        if not state.take_token(operation):
            return JSONResponse(QUOTA_EXCEEDED, status_code=429, headers=_headers())
        if faults.latency:
            await asyncio.sleep(faults.latency)
        if state.roll(faults.timeout_probability):
            with state.lock:
                state.counters.fault_kinds["timeout"] = state.counters.fault_kinds.get("timeout", 0) + 1
            await asyncio.sleep(faults.timeout_seconds)
        for probability, code, error in (
            (faults.p429, 429, "QuotaExceeded"),
            (faults.p500, 500, "InternalFailure"),
            (faults.p503, 503, "ServiceUnavailable"),
        ):
            if state.roll(probability):
                with state.lock:
                    state.counters.faults += 1
                    state.counters.fault_kinds[str(code)] = state.counters.fault_kinds.get(str(code), 0) + 1
                body_out = (
                    QUOTA_EXCEEDED
                    if code == 429
                    else error_body(error, "We encountered an internal error. Please try again.")
                )
                return JSONResponse(body_out, status_code=code, headers=_headers())
        try:
            answer = handler(query, resources, body)
        except ApiError as failure:
            return _error(failure, _headers(operation))
        if answer is None:  # an operation that answers 204 with no body (confirmShipment)
            return Response(status_code=204, headers=_headers(operation))
        text = json.dumps(answer, ensure_ascii=False)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: it travels as a \ud800 escape, as JSON allows
            text = json.dumps(answer)
        if state.roll(faults.malformed_probability):
            text = "<html><body>502 Bad Gateway</body></html>"
        elif state.roll(faults.truncated_probability):
            text = text[: len(text) // 2]
        return Response(text, media_type="application/json", headers=_headers(operation))

    def _headers(operation: str | None = None) -> dict[str, str]:
        headers = {"x-amzn-RequestId": str(uuid.uuid4())}
        if operation and config.send_rate_limit_header and operation in config.usage_plans:
            headers["x-amzn-RateLimit-Limit"] = f"{state.plan_rate(operation):g}"
        return headers

    def _error(failure: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(failure.body(), status_code=failure.status, headers=headers or _headers())

    @app.get("/orders/2026-01-01/orders")
    async def search_orders(request: Request) -> Response:
        return await sp_call(
            request,
            "searchOrders",
            lambda q, r, b: orders_v2026.search_orders(state, store, q),
            rdt_allowed=False,
        )

    @app.get("/orders/2026-01-01/orders/{order_id}")
    async def get_order(request: Request, order_id: str) -> Response:
        return await sp_call(
            request, "getOrder", lambda q, r, b: orders_v2026.get_order(store, order_id, q), rdt_allowed=False
        )

    @app.get("/orders/v0/orders")
    async def get_orders(request: Request) -> Response:
        return await sp_call(request, "getOrders", lambda q, r, b: orders_v0.get_orders(state, store, q, r))

    @app.get("/orders/v0/orders/{order_id}")
    async def get_order_v0(request: Request, order_id: str) -> Response:
        return await sp_call(request, "getOrderV0", lambda q, r, b: orders_v0.get_order(store, order_id, r))

    @app.get("/orders/v0/orders/{order_id}/orderItems")
    async def get_order_items(request: Request, order_id: str) -> Response:
        return await sp_call(
            request, "getOrderItems", lambda q, r, b: orders_v0.get_order_items(store, order_id, r)
        )

    @app.get("/orders/v0/orders/{order_id}/address")
    async def get_order_address(request: Request, order_id: str) -> Response:
        return await sp_call(
            request, "getOrderAddress", lambda q, r, b: orders_v0.get_order_address(store, order_id, r)
        )

    @app.get("/orders/v0/orders/{order_id}/buyerInfo")
    async def get_order_buyer_info(request: Request, order_id: str) -> Response:
        return await sp_call(
            request, "getOrderBuyerInfo", lambda q, r, b: orders_v0.get_order_buyer_info(store, order_id, r)
        )

    @app.post("/orders/v0/orders/{order_id}/shipmentConfirmation")
    async def confirm_shipment(request: Request, order_id: str) -> Response:
        # Not a restricted operation (it returns no buyer data): the LWA access token, not an RDT.
        def confirm(query: dict[str, str], resources: Any, body: Any) -> None:
            shipments.confirm_shipment(store, order_id, body)
            order = store.get(order_id)
            publisher.order_changed(order, STATUS_CHANGE, "Shipment Confirmed")

        return await sp_call(request, "confirmShipment", confirm, rdt_allowed=False)

    # -- Notifications API v1 ---------------------------------------------------------------------------

    @app.post("/notifications/v1/destinations")
    async def create_destination(request: Request) -> Response:
        return await sp_call(request, "createDestination",
                             lambda q, r, b: notifications.create_destination(b), grantless=True)

    @app.get("/notifications/v1/destinations")
    async def get_destinations(request: Request) -> Response:
        return await sp_call(request, "getDestinations", lambda q, r, b: notifications.get_destinations(),
                             grantless=True)

    @app.get("/notifications/v1/destinations/{destination_id}")
    async def get_destination(request: Request, destination_id: str) -> Response:
        return await sp_call(request, "getDestination",
                             lambda q, r, b: notifications.get_destination(destination_id), grantless=True)

    @app.delete("/notifications/v1/destinations/{destination_id}")
    async def delete_destination(request: Request, destination_id: str) -> Response:
        return await sp_call(request, "deleteDestination",
                             lambda q, r, b: notifications.delete_destination(destination_id), grantless=True)

    @app.post("/notifications/v1/subscriptions/{notification_type}")
    async def create_subscription(request: Request, notification_type: str) -> Response:
        return await sp_call(request, "createSubscription",
                             lambda q, r, b: notifications.create_subscription(notification_type, b),
                             rdt_allowed=False)

    @app.get("/notifications/v1/subscriptions")
    async def get_subscriptions(request: Request) -> Response:
        return await sp_call(request, "getSubscriptions", lambda q, r, b: notifications.get_subscriptions(q),
                             rdt_allowed=False)

    @app.get("/notifications/v1/subscriptions/{notification_type}")
    async def get_subscription(request: Request, notification_type: str) -> Response:
        return await sp_call(
            request, "getSubscription",
            lambda q, r, b: notifications.get_subscription(notification_type, q.get("payloadVersion")),
            rdt_allowed=False)

    @app.get("/notifications/v1/subscriptions/{notification_type}/{subscription_id}")
    async def get_subscription_by_id(request: Request, notification_type: str, subscription_id: str) -> Response:
        return await sp_call(
            request, "getSubscriptionById",
            lambda q, r, b: notifications.get_subscription_by_id(notification_type, subscription_id),
            grantless=True)

    @app.delete("/notifications/v1/subscriptions/{notification_type}/{subscription_id}")
    async def delete_subscription_by_id(request: Request, notification_type: str, subscription_id: str) -> Response:
        return await sp_call(
            request, "deleteSubscriptionById",
            lambda q, r, b: notifications.delete_subscription_by_id(notification_type, subscription_id),
            grantless=True)

    @app.post("/tokens/2021-03-01/restrictedDataToken")
    async def restricted_data_token(request: Request) -> Response:
        return await sp_call(
            request,
            "createRestrictedDataToken",
            lambda q, r, b: orders_v0.create_restricted_data_token(state, b)[0],
            rdt_allowed=False,
        )

    # -- control endpoints for demos and runs outside the test process ---------------------------------

    @app.get("/_standin/stats")
    async def stats() -> JSONResponse:
        with state.lock:
            return JSONResponse(state.counters.as_dict() | {"orders": len(store)})

    @app.put("/_standin/faults")
    async def set_faults(request: Request) -> JSONResponse:
        state.set_faults(Faults(**(await request.json())))
        return JSONResponse({"ok": True})

    @app.post("/_standin/orders/{order_id}/cancel")
    async def cancel_order(request: Request, order_id: str) -> JSONResponse:
        """Cancel an order after import (``{"cancelledBy": "BUYER", "cancelReason": "…", "lastUpdatedTime":
        "…"}``, all optional; ``lastUpdatedTime`` defaults to now: a search sees it 2 minutes later)."""
        options = await _options(request)
        if options is None:
            return _error(ApiError(400, "InvalidInput", "The body must be a JSON object."))
        try:
            answer = shipments.cancel_order(
                store, order_id, options.get("cancelledBy", "BUYER"),
                options.get("cancelReason", "Cancelled by the buyer"), _moment(options),
            )
        except ApiError as failure:
            return _error(failure)
        publisher.order_changed(store.get(order_id), STATUS_CHANGE, "Order Canceled")
        return JSONResponse(answer)

    @app.post("/_sandbox/orders")
    async def place_orders(request: Request) -> JSONResponse:
        """New orders placed now (``{"count": N, "seed": S, "fulfilledBy": "MERCHANT"}``, seed and
        fulfilledBy optional): answers ``{"orderIds": [...]}``."""
        options = await _options(request)
        try:
            count, seed, fulfilled_by = new_orders.read_request(options)
            placed = new_orders.place_orders(store, count, seed, fulfilled_by)
        except ApiError as failure:
            return _error(failure)
        for order in placed:
            publisher.order_changed(order, STATUS_CHANGE, "Order Placed")
        return JSONResponse({"orderIds": [order["orderId"] for order in placed]})

    @app.post("/_sandbox/orders/{order_id}")
    async def patch_order(request: Request, order_id: str) -> JSONResponse:
        """A JSON merge patch (RFC 7396) to the stored order: see the module docstring."""
        try:
            patch = json.loads(await request.body())
        except ValueError:
            return _error(ApiError(400, "InvalidInput", "The body is not valid JSON."))
        before = store.get(order_id)
        try:
            order = control.patch_order(store, order_id, patch, datetime.now(UTC))
        except ApiError as failure:
            return _error(failure)
        publisher.order_changed(order, *control.change_kind(before, order))
        return JSONResponse(order)

    @app.post("/_standin/orders/{order_id}/cancel-request")
    async def request_cancellation(request: Request, order_id: str) -> JSONResponse:
        """The buyer asks to cancel an unshipped order, the seller decides (``{"cancelReason": "…",
        "lastUpdatedTime": "…"}``, both optional)."""
        options = await _options(request)
        if options is None:
            return _error(ApiError(400, "InvalidInput", "The body must be a JSON object."))
        try:
            answer = shipments.request_cancellation(
                store, order_id, options.get("cancelReason", "REASON_NO_LONGER_NEEDED"), _moment(options))
        except ApiError as failure:
            return _error(failure)
        publisher.order_changed(store.get(order_id), BUYER_REQUEST, "Buyer Requested Cancel")
        return JSONResponse(answer)

    @app.put("/_standin/notification-faults")
    async def set_notification_faults(request: Request) -> JSONResponse:
        options = await _options(request)
        try:
            faults = NotificationFaults(**(options if options is not None else {"?": None}))
        except TypeError:
            return _error(ApiError(400, "InvalidInput", "The body must be a JSON object of notification faults: "
                                   "duplicate, drop, delay_max_s, seed, drop_next, duplicate_next."))
        except ValueError as failure:
            return _error(ApiError(400, "InvalidInput", str(failure)))
        publisher.set_faults(faults)
        return JSONResponse({"ok": True})

    @app.get("/_standin/notifications")
    async def notification_report() -> JSONResponse:
        return JSONResponse(publisher.report())

    @app.post("/_standin/reset")
    async def reset() -> JSONResponse:
        state.reset()
        publisher.reset()
        return JSONResponse({"ok": True})

    return app


def _lwa_error(status: int, code: str, description: str) -> JSONResponse:
    return JSONResponse({"error_description": description, "error": code}, status_code=status)


def _static(examples: list[Example], request: Request, query: dict[str, str], body: Any) -> Response:
    example = find_example(examples, request.method, request.url.path, query, body)
    if example is None:
        return JSONResponse(
            error_body("InvalidInput", "Could not match input arguments with any defined sandbox example."),
            status_code=400,
        )
    if example.response is None or example.status == 204:  # 204 carries no body, even an empty {}
        return Response(status_code=example.status)
    return JSONResponse(example.response, status_code=example.status)


async def _options(request: Request) -> dict[str, Any] | None:
    """A control's optional JSON object body; None when it is not one."""
    raw = await request.body()
    try:
        options = json.loads(raw) if raw else {}
    except ValueError:
        return None
    return options if isinstance(options, dict) else None


def _moment(options: dict[str, Any]) -> datetime | None:
    """The ``lastUpdatedTime`` a control was given (ISO 8601), or None for now."""
    text = options.get("lastUpdatedTime")
    if not text:
        return None
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
