"""Small parsing helpers shared by the v2026 and v0 mappers."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from amazon_passweb.amazon.models import ZERO, Address
from amazon_passweb.orders.dates import parse_iso

MAX_ORDER_ID_LENGTH = 32  # the site's Amazon order id columns; Amazon's ids are 19 ("402-1234567-1234567")


class MappingError(ValueError):
    """An order Amazon sent does not have the shape the mapper needs; names the order and field."""


def parse_datetime(value: Any, order_id: str, field: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise MappingError(f"order {order_id}: {field} is missing")
    try:
        return parse_iso(value)
    except ValueError:
        raise MappingError(f"order {order_id}: {field} {value!r} is not an ISO 8601 datetime") from None


def parse_amount(value: Any, order_id: str, field: str) -> Decimal:
    """An amount string ("12.30") as Decimal; absent means zero."""
    if value is None or value == "":
        return ZERO
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise MappingError(f"order {order_id}: {field} {value!r} is not a decimal amount") from None
    if not amount.is_finite():  # Decimal reads "NaN" and "Infinity"; no total can be made of them
        raise MappingError(f"order {order_id}: {field} {value!r} is not a decimal amount")
    return amount


def parse_quantity(value: Any, order_id: str, field: str) -> int:
    """A whole number of pieces ("2" or 2); absent means zero. 1.5 or "two" is not a quantity."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().lstrip("-").isdigit():
        raise MappingError(f"order {order_id}: {field} {value!r} is not a whole number")
    return int(value)


# Embedding/override/isolate controls: they reorder how text reads (U+202E shows "gpj.exe" as
# "exe.jpg"). Right-to-left text itself is kept.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_control(char: str) -> bool:
    # Cc: NUL and the other C0/C1 controls (tab and newline included); Zl/Zp: line and paragraph
    # separators; Cs: lone surrogates, which cannot even be stored as UTF-8.
    return char in _BIDI_CONTROLS or unicodedata.category(char) in {"Cc", "Zl", "Zp", "Cs"}


def clean(value: Any) -> str | None:
    """Amazon sends empty strings for absent fields; treat them as absent.

    Control characters and bidirectional overrides become spaces: no site, gestionale or email
    field can hold them, and they can make a name read differently from what it is."""
    if value is None:
        return None
    text = str(value)
    if any(_is_control(char) for char in text):
        text = " ".join("".join(" " if _is_control(char) else char for char in text).split())
    text = text.strip()
    return text or None


def address_from(raw: dict[str, Any] | None, pascal_case: bool = False) -> Address | None:
    """The delivery address; v2026 names its fields in camelCase, v0 the same ones in PascalCase."""
    if not raw:
        return None

    def field(name: str) -> str | None:
        return clean(raw.get(name[0].upper() + name[1:] if pascal_case else name))

    lines = tuple(line for line in (field(f"addressLine{n}") for n in (1, 2, 3)) if line is not None)
    return Address(
        name=field("name"),
        lines=lines,
        city=field("city"),
        postal_code=field("postalCode"),
        state_or_region=field("stateOrRegion"),
        country_code=field("countryCode"),
        phone=field("phone"),
        company=field("companyName"),
    )
