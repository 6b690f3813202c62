"""Request-body checks that the gestionale answers with "6001 - errore gestionale [...]"."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any


class GestionaleError(Exception):
    """Answered as HTTP ``status`` with ``code - message``."""

    def __init__(self, detail: str, status: int = 400, code: int = 6001, message: str = "errore gestionale"):
        super().__init__(detail)
        self.status, self.code, self.detail, self.message = status, code, detail, message

    def body(self) -> dict:
        return {"error": {"code": str(self.code), "message": f"{self.code} - {self.message} [{self.detail}]"}}


def check_fields(record: dict, schema: dict[str, int | None], mandatory: tuple[str, ...] = ()) -> None:
    for name in record:
        if name not in schema:
            raise GestionaleError(f"Nome campo '{name}' non valido")
    for name in mandatory:
        if record.get(name) in (None, ""):
            raise GestionaleError(f"Campo '{name}' obbligatorio")
    for name, value in record.items():
        check_length(name, value, schema[name])


def check_length(name: str, value: Any, limit: int | None) -> None:
    if limit is not None and isinstance(value, str) and len(value) > limit:
        raise GestionaleError(f"Valore troppo lungo per il campo '{name}' (massimo {limit} caratteri)")


def as_decimal(name: str, value: Any) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise GestionaleError(f"Valore non numerico per il campo '{name}'")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise GestionaleError(f"Valore non numerico per il campo '{name}'") from None


def as_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not re.fullmatch(r"-?\d+", str(value)):
        raise GestionaleError(f"Valore non intero per il campo '{name}'")
    return int(value)


def as_date(name: str, value: Any) -> date:
    text = str(value)
    try:
        if not re.fullmatch(r"\d{8}", text):
            raise ValueError
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise GestionaleError(f"Data non valida per il campo '{name}': {text} (formato AAAAMMGG)") from None
