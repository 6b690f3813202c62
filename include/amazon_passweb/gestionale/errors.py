"""What can go wrong talking to the gestionale, typed by what the caller must do about it."""

from __future__ import annotations

from datetime import datetime


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


class WritesNotExclusive(PushStopped):
    """The caller's exclusive right to write with this WebAPI user (the site's lease) is gone or could not
    be renewed: nothing more is written, another push may be writing the same records."""


class DocumentRefused(GestionaleError):
    """400 "6001 - errore gestionale [detail]": this record's data was refused. Fix it, never resend as is."""

    def __init__(self, detail: str, *, status: int | None = 400, code: str | None = "6001"):
        super().__init__(f"the gestionale refused the data: {detail}", status=status, code=code)
        self.detail = detail


class GestionaleUnavailable(GestionaleError):
    """503s, outages or lost answers went on past the retry budget; try again in a later push."""


class GestionaleBusy(GestionaleUnavailable):
    """Another push held the exclusive right to write with this WebAPI user for longer than the wait:
    nothing was written, the orders wait for a later push."""


class UncertainCreate(GestionaleError):
    """A create's answer was lost and the search after it found nothing: the gestionale may still commit
    it. It is not sent again before ``recreate_after`` (the POST's time + ``uncertain_wait_s``); until
    then every push searches for it instead. ``target``: ``document``, ``customer`` or ``address``."""

    def __init__(self, message: str, *, target: str, posted_at: datetime, recreate_after: datetime,
                 unreachable: bool = False):
        super().__init__(message)
        self.target, self.posted_at, self.recreate_after = target, posted_at, recreate_after
        self.unreachable = unreachable  # the search after the lost answer found the gestionale unavailable


class UnexpectedResponse(GestionaleError):
    """An answer the client does not know how to handle (e.g. 404, 408, 500)."""


class OutcomeUnknown(GestionaleError):
    """The request may or may not have been applied (timeout or dropped connection after sending).
    Internal to the client: a create whose answer is lost is searched for by its external key, never
    resent blindly (``UncertainCreate`` when the search finds nothing)."""
