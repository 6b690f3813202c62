"""Typed SP-API failures. Messages name the operation and Amazon's error code, never a credential."""

from __future__ import annotations


class SpApiError(Exception):
    """Amazon refused a call (or kept failing): ``operation``, HTTP ``status``, Amazon ``code``."""

    retryable = False

    def __init__(self, operation: str, status: int | None, code: str, message: str, details: str = ""):
        self.operation = operation
        self.status = status
        self.code = code
        self.amazon_message = message
        self.details = details
        where = f"HTTP {status}" if status is not None else "no response"
        text = f"{operation}: {where} {code}: {message}"
        super().__init__(f"{text} ({details})" if details else text)


class TransientSpApiError(SpApiError):
    """5xx, timeout or connection error: worth retrying."""

    retryable = True


class QuotaExceededError(TransientSpApiError):
    """HTTP 429: the usage plan's bucket was empty on Amazon's side."""


class AccessTokenExpiredError(SpApiError):
    """401/403 saying the access token expired: refresh it once and call again."""


class AuthenticationError(SpApiError):
    """Login with Amazon refused the client id, secret or refresh token; retrying will not help."""


class MalformedResponseError(TransientSpApiError):
    """The body was not the JSON the operation promises (truncated, not JSON, wrong shape)."""
