"""Login with Amazon: trade the refresh token for an access token and cache it until shortly before expiry.

``GrantlessTokenProvider`` obtains the application's own token (``client_credentials``, no seller),
which grantless operations such as the Notifications API's destinations require."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from amazon_passweb.amazon.cached_token import CachedToken
from amazon_passweb.amazon.errors import (
    AuthenticationError,
    MalformedResponseError,
    TransientSpApiError,
)
from amazon_passweb.amazon.settings import SpApiSettings

log = logging.getLogger(__name__)

OPERATION = "lwaToken"
GRANTLESS_OPERATION = "lwaGrantlessToken"
NOTIFICATIONS_SCOPE = "sellingpartnerapi::notifications"


class LwaTokenProvider(CachedToken):
    """The seller's access token (refresh-token grant)."""

    operation = OPERATION
    kind = "LWA access token"

    def __init__(
        self,
        settings: SpApiSettings,
        session: requests.Session,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__(clock, settings.time_scale)
        self._settings = settings
        self._session = session
        self.refreshes = 0

    def _obtain(self) -> tuple[str, float]:
        settings = self._settings
        retrying = Retrying(
            stop=stop_after_attempt(settings.max_attempts),
            wait=wait_exponential_jitter(
                initial=settings.backoff_initial / settings.time_scale,
                max=settings.backoff_max / settings.time_scale,
            ),
            retry=retry_if_exception(lambda error: isinstance(error, TransientSpApiError)),
            reraise=True,
        )
        body = retrying(self._request)
        lifetime = float(body.get("expires_in", 3600))
        self.refreshes += 1
        log.info("%s refreshed, valid for %.0f s", self.kind, lifetime / settings.time_scale)
        return body["access_token"], lifetime

    def _grant(self) -> dict[str, str]:
        return {"grant_type": "refresh_token", "refresh_token": self._settings.refresh_token}

    def _request(self) -> dict:
        settings = self._settings
        operation = self.operation
        try:
            response = self._session.post(
                settings.lwa_endpoint,
                data={**self._grant(), "client_id": settings.client_id, "client_secret": settings.client_secret},
                timeout=settings.timeout,
            )
        except requests.RequestException as error:
            name = type(error).__name__
            raise TransientSpApiError(operation, None, name, "LWA endpoint unreachable") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientSpApiError(operation, response.status_code, "ServerError", "LWA endpoint failed")
        try:
            body = response.json()
        except ValueError:
            raise MalformedResponseError(
                operation, response.status_code, "MalformedResponse", "LWA answer is not JSON"
            ) from None
        if response.status_code != 200:
            # LWA errors: {"error": "invalid_client", "error_description": "..."}
            code = str(body.get("error", "unknown")) if isinstance(body, dict) else "unknown"
            text = str(body.get("error_description", "")) if isinstance(body, dict) else ""
            raise AuthenticationError(operation, response.status_code, code, text or "login refused")
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise MalformedResponseError(operation, 200, "MalformedResponse", "LWA answer lacks access_token")
        return body



class GrantlessTokenProvider(LwaTokenProvider):
    """The application's token for grantless operations: ``client_credentials`` with a scope, no
    refresh token. It acts for the application, not for a seller."""

    operation = GRANTLESS_OPERATION
    kind = "LWA grantless token"

    def __init__(
        self,
        settings: SpApiSettings,
        session: requests.Session,
        scope: str = NOTIFICATIONS_SCOPE,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__(settings, session, clock)
        self.scope = scope

    def _grant(self) -> dict[str, str]:
        return {"grant_type": "client_credentials", "scope": self.scope}
