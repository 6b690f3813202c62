"""How moments and amounts read for the merchant: one format each, for the emails and the operator pages.

The emails (``present.py``, ``afn.py``, the sync email) print these strings; ``ui/`` registers
the same functions as Jinja filters, so a date or a total reads the same in a report and on
the page it links to. No database, no Airflow: only the standard library and ``sanitize``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from amazon_passweb.notify.sanitize import clean_text
from amazon_passweb.orders.dates import ROME  # the merchant reads times in Italian time, as in the site

EMPTY = "—"  # what a missing value reads as


def as_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC, the importer's convention."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def format_when(moment: datetime | None, *, seconds: bool = False) -> str:
    """gg/mm/aaaa hh:mm[:ss] in Italian time; — when unknown."""
    if moment is None:
        return EMPTY
    return as_utc(moment).astimezone(ROME).strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")


def format_money(amount: Decimal | None, currency: str | None) -> str:
    """Italian style, 1.234,56 EUR; — when unknown."""
    if amount is None:
        return EMPTY
    grouped = f"{Decimal(str(amount)).quantize(Decimal('0.01')):,.2f}"
    italian = grouped.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return f"{italian} {clean_text(currency, 8)}".rstrip()
