"""Small parsing helpers shared by the v2026 and v0 mappers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from amazon_passweb.amazon.models import ZERO


class MappingError(ValueError):
    """An order Amazon sent does not have the shape the mapper needs; names the order and field."""


def parse_datetime(value: Any, order_id: str, field: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise MappingError(f"order {order_id}: {field} is missing")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MappingError(f"order {order_id}: {field} {value!r} is not an ISO 8601 datetime") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_amount(value: Any, order_id: str, field: str) -> Decimal:
    """An amount string ("12.30") as Decimal; absent means zero."""
    if value is None or value == "":
        return ZERO
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise MappingError(f"order {order_id}: {field} {value!r} is not a decimal amount") from None


def clean(value: Any) -> str | None:
    """Amazon sends empty strings for absent fields; treat them as absent."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None
