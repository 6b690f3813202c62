"""ricerca filters and paging with opaque, expiring ``next`` tokens.

Filters follow the reference's ``Filtro`` schema: ``campo``, ``condizione`` (=, <>, >, <, >=, <=,
contiene, inizia_per), ``valore`` (a list means OR), ``case_insensitive``, ``indice1``/``indice2``
for array fields; filters are ANDed. On an array field without ``indice1`` a filter matches when
any element does (the reference says so for one resource; the stand-in applies it to all).

``next`` is a random token kept server-side with the position after the page; it is valid for
``ttl_s`` seconds (the reference says only "use it at once": the time is the stand-in's choice,
configurable) and only on the route that issued it. An unknown or expired token is a 6001 refusal.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.gestionale.errors import GestionaleError
from sandbox.gestionale.fields import invalid_name
from sandbox.gestionale.reference import Fields

CONDITIONS = ("=", "<>", ">", "<", ">=", "<=", "contiene", "inizia_per")
FILTER_KEYS = {"campo", "condizione", "valore", "case_insensitive", "indice1", "indice2"}
MAX_PAGE = 1000
DEFAULT_PAGE = 100  # the reference gives no default for max: the stand-in's choice


@dataclass(frozen=True)
class Filter:
    campo: str
    condizione: str
    valori: tuple
    numeric: bool
    case_insensitive: bool
    indice1: int | None

    def matches(self, record: dict) -> bool:
        value = record.get(self.campo)
        if isinstance(value, list):
            candidates = [v for i, v in value if self.indice1 is None or i == self.indice1]
        else:
            candidates = [value]
        return any(self._one(c, v) for c in candidates for v in self.valori)

    def _one(self, have: Any, want: Any) -> bool:
        if self.numeric:
            try:
                have = Decimal(str(have if have not in (None, "") else 0))
            except InvalidOperation:
                return False
        else:
            have = "" if have is None else str(have)
            if self.case_insensitive:
                have = have.casefold()
        if self.condizione == "contiene":
            return str(want) in str(have)
        if self.condizione == "inizia_per":
            return str(have).startswith(str(want))
        return {
            "=": have == want,
            "<>": have != want,
            ">": have > want,
            "<": have < want,
            ">=": have >= want,
            "<=": have <= want,
        }[self.condizione]


def parse_search_body(body: Any, fields: Fields) -> list[Filter]:
    """``{"filtri": [...]}`` and nothing else, with at least one filter."""
    if not isinstance(body, dict):
        raise GestionaleError('Body della ricerca non valido: atteso {"filtri": [...]}')
    for name in body:
        if name != "filtri":
            raise GestionaleError(f"Parametro '{name}' non valido nel body della ricerca")
    items = body.get("filtri")
    if not isinstance(items, list) or not items:
        raise GestionaleError("Indicare almeno un filtro in 'filtri'")
    return [parse_filter(item, fields) for item in items]


def parse_filter(item: Any, fields: Fields) -> Filter:
    if not isinstance(item, dict):
        raise GestionaleError("Filtro non valido: atteso un oggetto")
    for name in item:
        if name not in FILTER_KEYS:
            raise GestionaleError(f"Parametro '{name}' non valido nel filtro")
    for name in ("campo", "condizione", "valore"):
        if name not in item:
            raise GestionaleError(f"Filtro senza '{name}'")
    campo, condizione = item["campo"], item["condizione"]
    if campo not in fields:
        raise invalid_name(str(campo))
    if condizione not in CONDITIONS:
        raise GestionaleError(f"Condizione '{condizione}' non valida")
    field = fields[campo]
    indice1 = item.get("indice1")
    if indice1 is not None and (not isinstance(indice1, int) or indice1 < 1 or not field.array):
        raise GestionaleError(f"indice1 non valido per il campo '{campo}'")
    raw = item["valore"]
    values = raw if isinstance(raw, list) else [raw]
    if not values:
        raise GestionaleError(f"Valore del filtro sul campo '{campo}' vuoto")
    numeric = field.tipo in ("Numerico", "Numerico con virgola")
    case_insensitive = bool(item.get("case_insensitive"))
    parsed = []
    for value in values:
        if numeric:
            try:
                parsed.append(Decimal(str(value)))
            except InvalidOperation:
                raise GestionaleError(f"Valore non numerico nel filtro sul campo '{campo}'") from None
        else:
            text = str(value)
            parsed.append(text.casefold() if case_insensitive else text)
    return Filter(campo, condizione, tuple(parsed), numeric, case_insensitive, indice1)


def page_size(value: str | None) -> int:
    if value is None:
        return DEFAULT_PAGE
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise GestionaleError(f"Valore di max non valido: {value} (da 1 a {MAX_PAGE})")
    return int(value)


@dataclass
class Cursor:
    route: str
    filters: list[Filter]
    position: Any
    expires: float


class Tokens:
    def __init__(self, ttl_s: float = 60.0):
        self.ttl_s = ttl_s
        self._cursors: dict[str, Cursor] = {}
        self._lock = threading.Lock()

    def issue(self, route: str, filters: list[Filter], position: Any) -> str:
        token = secrets.token_urlsafe(18)
        now = time.monotonic()
        with self._lock:
            self._cursors = {k: c for k, c in self._cursors.items() if c.expires > now}
            self._cursors[token] = Cursor(route, filters, position, now + self.ttl_s)
        return token

    def take(self, token: str, route: str) -> Cursor:
        with self._lock:
            cursor = self._cursors.pop(token, None)
        if cursor is None or cursor.route != route or cursor.expires <= time.monotonic():
            raise GestionaleError("Token next non valido o scaduto")
        return cursor

    def clear(self) -> None:
        with self._lock:
            self._cursors.clear()
