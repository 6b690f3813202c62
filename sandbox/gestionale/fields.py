"""Field checks against the info lists: names, types, ``[[index, value], ...]`` arrays, lengths.

Stand-in assumptions where the reference is silent (each refusal is a 6001 detail):
- Lengths: the info lists give no sizes. Alphanumeric values longer than ``DEFAULT_LENGTH`` are
  refused, and a few fields whose size is fixed by their meaning have a tighter limit
  (``LENGTHS``). Both can be overridden with ``StandIn(field_limits=...)``.
- Types are strict: an alphanumeric field takes a JSON string, ``Numerico`` an integer,
  ``Numerico con virgola`` a number, a date-time ``AAAAMMGG HHMMSS``. A real Mexal may coerce;
  a test double that refuses makes a client's sloppy typing visible.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sandbox.gestionale.errors import GestionaleError
from sandbox.gestionale.reference import Field, Fields

DEFAULT_LENGTH = 80
LENGTHS = {
    "provincia": 2,
    "cod_paese": 2,
    "tp_nazionalita": 1,
    "sigla": 2,
    "codice_fiscale": 16,
    "cap": 10,
    "partita_iva": 20,
    "codice_articolo": 20,
    "rif_nr_attuale": 20,
    "email": 100,
}
DATE_TIME_RE = re.compile(r"^\d{8} \d{6}$")


def invalid_name(name: str) -> GestionaleError:
    return GestionaleError(f"Nome campo '{name}' non valido")


def check_value(item: Field, value: Any, limits: dict[str, int], where: str = "") -> Any:
    """The value if it suits the field's type and size; a 6001 refusal otherwise."""
    label = f"{where}campo '{item.name}'"
    if item.tipo == "Numerico":
        if isinstance(value, bool) or not isinstance(value, int):
            raise GestionaleError(f"Valore non intero per il {label}")
    elif item.tipo == "Numerico con virgola":
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise GestionaleError(f"Valore non numerico per il {label}")
    elif item.tipo == "Data e ora":
        if not isinstance(value, str) or (value and not DATE_TIME_RE.match(value)):
            raise GestionaleError(f"Data e ora non valida per il {label} (formato AAAAMMGG HHMMSS)")
    else:
        if not isinstance(value, str):
            raise GestionaleError(f"Valore non alfanumerico per il {label}")
        limit = limits.get(item.name, limits.get("*", DEFAULT_LENGTH))
        if len(value) > limit:
            raise GestionaleError(f"Valore troppo lungo per il {label} (massimo {limit} caratteri)")
    return value


def pairs(name: str, value: Any, size: int = 0) -> list[tuple[int, Any]]:
    """``[[index, value], ...]`` with integer indexes from 1 (to ``size`` when given); a plain list is refused."""
    message = f"Campo array '{name}' non valido: attesa una lista di coppie [indice, valore]"
    if not isinstance(value, list):
        raise GestionaleError(message)
    out, seen = [], set()
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2 and type(pair[0]) is int):
            raise GestionaleError(message)
        index = pair[0]
        if index < 1 or (size and index > size) or index in seen:
            raise GestionaleError(f"Indice {index} non valido per il campo array '{name}'")
        seen.add(index)
        out.append((index, pair[1]))
    return out


def check_record(body: dict, fields: Fields, limits: dict[str, int]) -> dict:
    """A plain (non-document) record: every name from the info list, arrays as index pairs."""
    for name, value in body.items():
        if name not in fields:
            raise invalid_name(name)
        item = fields[name]
        if item.array:
            for _, element in pairs(name, value, item.array):
                check_value(item, element, limits)
        else:
            check_value(item, value, limits)
    return dict(body)


def with_defaults(record: dict, fields: Fields) -> dict:
    """A record as the gestionale answers it: every field of the info list, in its order."""
    return {f.name: record.get(f.name, f.default()) for f in fields}


def parse_fields_param(value: str | None, fields: Fields) -> list[str] | None:
    if value is None:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    for name in names:
        if name not in fields:
            raise invalid_name(name)
    return names


def select(record: dict, names: list[str] | None) -> dict:
    return record if names is None else {n: record[n] for n in names if n in record}
