"""One SP-API call: rate-limit wait, access token, retries with jittered backoff, typed errors.

Retried (bounded, exponential backoff with jitter, tenacity): 429, 5xx, timeouts,
connection errors and malformed bodies. Refreshed once: an access token Amazon says
has expired. Not retried: any other 4xx, surfaced as ``SpApiError`` naming the
operation, Amazon's error code and message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, Self

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from amazon_passweb.amazon.errors import (
    AccessTokenExpiredError,
    MalformedResponseError,
    QuotaExceededError,
    SpApiError,
    TransientSpApiError,
)
from amazon_passweb.amazon.rate_limit import RateLimiter
from amazon_passweb.amazon.settings import SpApiSettings

log = logging.getLogger(__name__)

RATE_LIMIT_HEADER = "x-amzn-RateLimit-Limit"


class TokenSource(Protocol):
    def access_token(self) -> str: ...

    def invalidate(self, token: str) -> None: ...


@dataclass(frozen=True)
class CallRecord:
    """What went over the wire, for observers (tests validate it against the OpenAPI models)."""

    operation: str
    method: str
    path: str
    params: dict[str, str]
    body: Any
    status: int | None
    response: Any


@dataclass
class CallStats:
    calls: dict[str, int] = field(default_factory=dict)
    throttled: int = 0
    retries: int = 0
    rate_limit_wait: float = 0.0

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


def _is_retryable(error: BaseException) -> bool:
    return isinstance(error, TransientSpApiError)


def _amazon_error(body: Any) -> tuple[str, str, str]:
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        first = body["errors"][0] if isinstance(body["errors"][0], dict) else {}
        return str(first.get("code", "Unknown")), str(first.get("message", "")), str(first.get("details", ""))
    return "Unknown", "no error body", ""


def _token_expired(status: int, message: str, details: str) -> bool:
    return status in (401, 403) and "expired" in f"{message} {details}".lower()


class SpApiTransport:
    def __init__(
        self,
        settings: SpApiSettings,
        session: requests.Session,
        lwa: TokenSource,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.settings = settings
        self.session = session
        self.lwa = lwa
        self.limiter = limiter or RateLimiter(settings.time_scale)
        self.stats = CallStats()
        self.observers: list[Callable[[CallRecord], None]] = []
        self._sleep = sleep

    def call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        token: TokenSource | None = None,
    ) -> dict[str, Any]:
        """Call ``operation`` and return its JSON body; raise a typed ``SpApiError`` on failure."""
        source = token or self.lwa
        query = {key: _query_value(value) for key, value in (params or {}).items() if value is not None}
        refreshed = False
        settings = self.settings
        retrying = Retrying(
            stop=stop_after_attempt(settings.max_attempts),
            wait=wait_exponential_jitter(
                initial=settings.backoff_initial / settings.time_scale,
                max=settings.backoff_max / settings.time_scale,
            ),
            retry=retry_if_exception(_is_retryable),
            before_sleep=self._before_retry,
            sleep=self._sleep,
            reraise=True,
        )
        while True:
            try:
                return retrying(self._attempt, operation, method, path, query, json, source)
            except AccessTokenExpiredError:
                if refreshed:
                    raise
                refreshed = True
                log.info("%s: access token expired, refreshing it once", operation)

    def _before_retry(self, state: RetryCallState) -> None:
        self.stats.retries += 1
        error = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        log.warning("retrying after %s (attempt %d, backoff %.2f s)", error, state.attempt_number, delay)

    def _attempt(
        self, operation: str, method: str, path: str, query: dict[str, str], body: Any, source: TokenSource
    ) -> dict[str, Any]:
        bucket = self.limiter.bucket(self.settings.selling_partner_id, operation)
        waited = bucket.acquire()
        if waited:
            self.stats.rate_limit_wait += waited
        # After the wait, so a token cannot expire while we sleep on the bucket.
        access_token = source.access_token()
        try:
            return self._send(operation, method, path, query, body, source, access_token)
        finally:
            bucket.settle()

    def _send(
        self, operation: str, method: str, path: str, query: dict[str, str], body: Any,
        source: TokenSource, access_token: str,
    ) -> dict[str, Any]:
        self.stats.calls[operation] = self.stats.calls.get(operation, 0) + 1
        url = self.settings.endpoint.rstrip("/") + path
        try:
            response = self.session.request(
                method,
                url,
                params=query,
                json=body,
                headers={"x-amz-access-token": access_token, "accept": "application/json"},
                timeout=self.settings.timeout,
            )
        except requests.Timeout:
            self._notify(operation, method, path, query, body, None, None)
            raise TransientSpApiError(operation, None, "Timeout", "no answer in time") from None
        except requests.RequestException as error:
            self._notify(operation, method, path, query, body, None, None)
            raise TransientSpApiError(operation, None, type(error).__name__, "connection failed") from None

        self.limiter.observe_limit_header(
            self.settings.selling_partner_id, operation, response.headers.get(RATE_LIMIT_HEADER)
        )
        try:
            payload = response.json()
        except ValueError:
            payload = None
        self._notify(operation, method, path, query, body, response.status_code, payload)
        status = response.status_code

        if status == 429:
            self.stats.throttled += 1
            self.limiter.bucket(self.settings.selling_partner_id, operation).drain()
            raise QuotaExceededError(operation, status, *_amazon_error(payload))
        if status >= 500:
            raise TransientSpApiError(operation, status, *_amazon_error(payload))
        if status >= 400:
            code, message, details = _amazon_error(payload)
            if _token_expired(status, message, details):
                source.invalidate(access_token)
                raise AccessTokenExpiredError(operation, status, code, message, details)
            raise SpApiError(operation, status, code, message, details)
        if status == 204:  # success with no body (confirmShipment)
            return {}
        if not isinstance(payload, dict):
            # Never quoted: a JSON answer cut short opens with what it carries (a restricted-data token,
            # buyer data), and this text is logged at every retry.
            kind = response.headers.get("content-type") or "no content type"
            raise MalformedResponseError(
                operation, status, "MalformedResponse",
                f"body is not a JSON object ({len(response.content)} bytes, {kind}, not quoted)",
            )
        return payload

    def _notify(self, operation, method, path, query, body, status, payload) -> None:
        if self.observers:
            record = CallRecord(operation, method, path, dict(query), body, status, payload)
            for observer in self.observers:
                observer(record)


def _query_value(value: Any) -> str:
    # Swagger 2 arrays without collectionFormat are comma-separated (csv).
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class TransportClient:
    """What every SP-API client over one :class:`SpApiTransport` and its requests session shares: the
    call counts, ``close()`` and use as a context manager (the session is closed at the end)."""

    session: requests.Session
    transport: SpApiTransport

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def stats(self) -> CallStats:
        return self.transport.stats
