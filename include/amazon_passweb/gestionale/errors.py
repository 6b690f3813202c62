"""What can go wrong talking to the gestionale, typed by what the caller must do about it."""

from __future__ import annotations


class GestionaleError(Exception):
    """Base class. ``status``/``code`` are the HTTP status and the gestionale's error code."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.code = status, code


class PushStopped(GestionaleError):
    """Nothing else can succeed with these settings: stop the whole push, retry nothing."""


class CredentialsRefused(PushStopped):
    """401 or error 2002/3002. Retrying would count more failed logins and lock the WebAPI user."""


class ConfigurationRefused(PushStopped):
    """The Coordinate-Gestionale header (azienda, anno, magazzino) was refused."""


class DocumentRefused(GestionaleError):
    """400 "6001 - errore gestionale [detail]": this record's data was refused. Fix it, never resend as is."""

    def __init__(self, detail: str, *, status: int | None = 400, code: str | None = "6001"):
        super().__init__(f"the gestionale refused the data: {detail}", status=status, code=code)
        self.detail = detail


class GestionaleUnavailable(GestionaleError):
    """503s, outages or lost answers went on past the retry budget; try again in a later push."""


class UnexpectedResponse(GestionaleError):
    """An answer the client does not know how to handle (e.g. 404, 408, 500)."""


class OutcomeUnknown(GestionaleError):
    """The request may or may not have been applied (timeout or dropped connection after sending).
    Internal to the client: a create is only retried after a search by external reference."""
