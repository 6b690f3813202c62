"""Errors as the WebAPI answers them.

The body follows the reference's ``Errore`` schema (openapi/*.yaml, protocols summary):
``{"error": {"response-code", "response-detail": "<code> - <message> [<detail>]", "response-message",
"request-uri", "request-method", "request-id", "remote", "timestamp"}}``. The reference names
``response-message`` without saying what it holds: the stand-in puts the HTTP reason phrase there.
A 404 has no body.
"""

from __future__ import annotations

import datetime as dt
import uuid
from http import HTTPStatus

GESTIONALE = (6001, "errore gestionale")


class GestionaleError(Exception):
    """Answered as HTTP ``status`` with ``<code> - <message> [<detail>]``."""

    def __init__(self, detail: str, status: int = 400, code: int = 6001, message: str = "errore gestionale"):
        super().__init__(detail)
        self.status, self.code, self.detail, self.message = status, code, detail, message


class NotFound(Exception):
    """404 without a body: unknown path, method or key."""


class NotImplementedByStandIn(Exception):
    """An endpoint help.json lists that this stand-in does not implement: answered 501, plainly."""


def error_body(scope: dict, status: int, code: int, message: str, detail: str | None = None) -> dict:
    client = scope.get("client") or ("", 0)
    query = scope.get("query_string", b"").decode("latin-1")
    return {
        "error": {
            "response-code": status,
            "response-detail": f"{code} - {message}" + (f" [{detail}]" if detail else ""),
            "response-message": HTTPStatus(status).phrase,
            "request-uri": scope.get("path", "") + (f"?{query}" if query else ""),
            "request-method": scope.get("method", ""),
            "request-id": str(uuid.uuid4()),
            "remote": client[0],
            "timestamp": dt.datetime.now().strftime("%Y%m%d %H%M%S"),
        }
    }
