"""Amazon-shaped error answers."""

from __future__ import annotations

from typing import Any


def error_body(code: str, message: str, details: str = "") -> dict[str, Any]:
    return {"errors": [{"code": code, "message": message, "details": details}]}


class ApiError(Exception):
    """Raised by handlers; rendered as ``{"errors": [...]}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str, details: str = ""):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details)


def invalid_input(message: str) -> ApiError:
    return ApiError(400, "InvalidInput", message)


QUOTA_EXCEEDED = error_body("QuotaExceeded", "You exceeded your quota for the requested resource.")
ACCESS_DENIED = "Access to requested resource is denied."
TOKEN_EXPIRED_DETAILS = "The access token you provided has expired."


def not_linked(marketplaces: list[str]) -> ApiError:
    """An order search naming a marketplace the seller is not registered in (the stand-in's reading of
    Amazon's answer: the generic authorization refusal, the details naming the marketplaces)."""
    return ApiError(403, "Unauthorized", ACCESS_DENIED,
                    f"The seller is not registered in marketplace(s) {', '.join(marketplaces)}.")
