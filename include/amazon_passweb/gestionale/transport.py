"""One WebAPI user's HTTP traffic: concurrency cap, retries, and error classification.

Why not HttpHook for the requests themselves: HttpHook.run() opens a new requests
Session (and looks the connection up again) on every call, a requests Session must not
be shared between the threads of a concurrent push, and HttpHook's retry helper would
resend creates blindly. Here each thread keeps one keep-alive connection
(connections.py), nothing is resent automatically (a resent create could duplicate a
document), and the per-request overhead is a fraction of requests' (it matters: see
bench/gestionale_push.py). The hook (hook.py) is still what reads the Airflow connection.

Rules (docs/protocols.md, gestionale part; reference/mexal-webapi/ai/AGENTE.md):
- at most ``max_concurrency`` requests in flight per client, and never more than 5 per
  WebAPI user across all the clients of this process;
- 503 (also with code 3002, "pool exhausted / exclusive use in progress"): wait (exponential
  backoff with jitter) and retry, within ``retry_budget_s``;
- 5001 (dialogue between WebAPI and gestionale interrupted) and 408 (request too slow):
  transient; reads and searches are retried, a create may have been applied (OutcomeUnknown);
- 401, or 2002 / 3002 without a 503: CredentialsRefused, and this transport refuses every later
  request, so a concurrent push stops at once instead of locking the user with failed logins;
  until one answer has shown the credentials good, requests go one at a time, so a wrong
  password costs one failed login, not one per thread;
- 1001: the Coordinate-Gestionale header was refused: ConfigurationRefused;
- 400 "6001 - errore gestionale [...]": DocumentRefused carrying the detail;
- connection refused before sending: retried like a 503;
- timeout or dropped connection after sending: retried for reads and searches; for a
  create it raises OutcomeUnknown and the caller searches before creating again;
- ``write_guard``, when set, is called before every request that writes (creates, revisions): the
  caller's exclusive right to write (the site's lease) is checked there, as late as possible.
Error bodies: ``{"error": {"response-code", "response-detail": "<code> - <msg> [<detail>]", ...}}``;
a 404 has no body.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_delay, wait_random_exponential

from amazon_passweb.gestionale.connections import ConnectFailed, Reply, ThreadConnections
from amazon_passweb.gestionale.errors import (
    ConfigurationRefused,
    CredentialsRefused,
    DocumentRefused,
    GestionaleUnavailable,
    OutcomeUnknown,
    PushStopped,
    UnexpectedResponse,
)
from amazon_passweb.gestionale.settings import MAX_CONCURRENCY, WebApiSettings

log = logging.getLogger(__name__)

ERROR_RE = re.compile(r"\b(?P<code>\d{3,4})\s*-\s*(?P<text>[^\"]*)")
DETAIL_RE = re.compile(r"\[(?P<detail>.*)\]")
CREDENTIAL_CODES = {"2002", "3002"}
COORDINATE_CODES = {"1001"}
POOL_BUSY_CODE = "3002"  # with a 503: the user's pool of services is exhausted, wait
TRANSIENT_CODES = {"5001"}


class _Retry(Exception):
    """Transient: 503 or nothing was sent. Retried by tenacity within the budget."""


@dataclass(frozen=True)
class Answer:
    status: int
    location: str | None
    body: Any


_semaphores: dict[tuple[str, str, str], threading.BoundedSemaphore] = {}
_semaphores_lock = threading.Lock()


def user_semaphore(settings: WebApiSettings) -> threading.BoundedSemaphore:
    """The WebAPI's limit of 5 per user, shared by every client of that user in this process
    (each client also holds its own, possibly lower, cap). Other processes meet 503s."""
    with _semaphores_lock:
        semaphore = _semaphores.get(settings.user_key)
        if semaphore is None:
            semaphore = _semaphores[settings.user_key] = threading.BoundedSemaphore(MAX_CONCURRENCY)
        return semaphore


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # shortest repr: Decimal("12.34") is sent as 12.34
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


class Transport:
    def __init__(self, settings: WebApiSettings, *, sleep: Callable[[float], None] | None = None):
        self.settings = settings
        self._headers = {**settings.headers(), "Content-Type": "application/json"}
        self._user_slots = user_semaphore(settings)
        self._own_slots = threading.BoundedSemaphore(settings.max_concurrency)
        self._connections = ThreadConnections(
            settings.base_url,
            settings.connect_timeout_s,
            settings.read_timeout_s,
            verify=settings.verify,
            ca_bundle=settings.ca_bundle,
        )
        self._stopped: PushStopped | None = None
        self._sleep = sleep
        self._credentials_checked = False
        self._first_login = threading.Lock()
        # Raises (PushStopped) when writing is no longer allowed; None: every write is allowed.
        self.write_guard: Callable[[], None] | None = None

    def request(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        *,
        idempotent: bool,
        params: dict[str, object] | None = None,
        before_send: Callable[[], None] | None = None,
    ) -> Answer:
        """Send with retries. Non-idempotent requests raise OutcomeUnknown instead of resending.
        ``params`` go in the query string (None values are left out). ``before_send`` is called right
        before each attempt leaves, after the write guard: a create's write-ahead intent."""
        path = with_query(path, params)
        retrying = Retrying(
            retry=retry_if_exception_type(_Retry if not idempotent else (_Retry, OutcomeUnknown)),
            wait=wait_random_exponential(multiplier=0.05, max=2.0),
            stop=stop_after_delay(self.settings.retry_budget_s),
            sleep=self._sleep or time.sleep,
            reraise=False,
        )
        try:
            return retrying(self._send_once, method, path, body, idempotent, before_send)
        except RetryError as error:
            cause = error.last_attempt.exception()
            raise GestionaleUnavailable(
                f"the gestionale did not answer {method} {path} within {self.settings.retry_budget_s:.0f}s: {cause}"
            ) from cause

    def _send_once(self, method: str, path: str, body: dict | None, idempotent: bool,
                   before_send: Callable[[], None] | None = None) -> Answer:
        if self._credentials_checked:
            return self._send(method, path, body, idempotent, before_send)
        with self._first_login:
            return self._send(method, path, body, idempotent, before_send)

    def _send(self, method: str, path: str, body: dict | None, idempotent: bool,
              before_send: Callable[[], None] | None = None) -> Answer:
        if self._stopped is not None:
            raise type(self._stopped)(f"not sent, the push was stopped: {self._stopped}")
        data = json.dumps(body, default=_json_default).encode() if body is not None else None
        with self._own_slots, self._user_slots:
            guard = self.write_guard
            if guard is not None and not idempotent:
                guard()  # checked once a slot is ours: right before the request leaves
            if before_send is not None:
                before_send()
            try:
                response = self._connections.request(method, path, data, self._headers)
            except ConnectFailed as error:
                raise _Retry(str(error)) from error
            except TimeoutError as error:
                raise OutcomeUnknown(f"no answer to {method} {path} in {self.settings.read_timeout_s}s") from error
            except (OSError, http.client.HTTPException) as error:  # dropped, reset, garbled
                raise OutcomeUnknown(f"connection lost after sending {method} {path}: {error!r}") from error
        return self._classify(method, path, response)

    def _classify(self, method: str, path: str, response: Reply) -> Answer:
        status = response.status
        if status not in (401, 503):
            self._credentials_checked = True
        if status in (200, 201, 204):
            body = json.loads(response.data) if response.data else None
            return Answer(status, response.headers.get("Location"), body)
        code, message = error_detail(response.data)
        if status == 503 or (status == 408 and method == "GET"):
            raise _Retry(f"{status} from the gestionale ({code or 'no code'})")
        if status == 401 or (code in CREDENTIAL_CODES and not (code == POOL_BUSY_CODE and status == 503)):
            self._credentials_checked = False
            self._stopped = CredentialsRefused(
                f"the gestionale refused the WebAPI credentials of user {self.settings.user!r} "
                f"(HTTP {status}, {code} - {message}); the push is stopped and nothing is retried, "
                "because repeated failed logins lock the user: fix the gestionale_webapi connection "
                "or ask the administrator to unlock the user",
                status=status,
                code=code,
            )
            log.error("%s", self._stopped)
            raise self._stopped
        if code in COORDINATE_CODES:
            self._stopped = ConfigurationRefused(
                f"the gestionale refused the Coordinate-Gestionale header ({code} - {message}); "
                "check azienda/anno/magazzino in the gestionale_webapi connection",
                status=status,
                code=code,
            )
            raise self._stopped
        if status == 408 or code in TRANSIENT_CODES:
            # The gestionale may have applied the request before giving up on it.
            raise OutcomeUnknown(f"{method} {path}: HTTP {status} {code or ''} {message}".rstrip(), status=status)
        if status == 400 and code == "6001":
            detail = DETAIL_RE.search(message)
            raise DocumentRefused(detail["detail"] if detail else message)
        raise UnexpectedResponse(f"{method} {path}: HTTP {status}: {message}", status=status, code=code)


def error_detail(data: bytes) -> tuple[str | None, str]:
    """(code, "message [detail]") from a WebAPI error body; a body that is not the documented
    ``{"error": {"response-detail": "<code> - <text>"}}`` is searched for a code as plain text."""
    text = data.decode("utf-8", "replace") if data else ""
    try:
        error = json.loads(text).get("error") or {}
        detail = str(error.get("response-detail") or error.get("message") or "")
    except (ValueError, AttributeError):
        detail = text
    match = ERROR_RE.search(detail)
    if match:
        return match["code"], match["text"].strip()
    return None, (detail or text)[:200]


def with_query(path: str, params: dict[str, object] | None) -> str:
    """``path?name=value&…``; list values are sent comma-separated, as the WebAPI's ``fields``."""
    if not params:
        return path
    pairs = {
        name: ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        for name, value in params.items()
        if value is not None
    }
    return f"{path}?{urlencode(pairs, safe=',', quote_via=quote)}" if pairs else path
