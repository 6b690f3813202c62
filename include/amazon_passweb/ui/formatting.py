"""How values read on the pages: the merchant's time zone, Italian numbers, readable schedules."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from amazon_passweb.config import MARKETPLACES, SCHEDULE_PRESETS

ROME = ZoneInfo("Europe/Rome")  # the merchant reads times in Italian time, as in the site

_SCHEDULE_NAMES = {
    SCHEDULE_PRESETS["hourly"]: "ogni ora",
    SCHEDULE_PRESETS["daily"]: "ogni giorno a mezzanotte",
    SCHEDULE_PRESETS["weekly"]: "ogni lunedì a mezzanotte",
    SCHEDULE_PRESETS["monthly"]: "il primo del mese a mezzanotte",
}


def local_time(moment: datetime | None, *, seconds: bool = False) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(ROME).strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")


def input_value(moment: datetime | None) -> str:
    """The value of an ``<input type="datetime-local">`` in Italian time."""
    return moment.astimezone(ROME).strftime("%Y-%m-%dT%H:%M") if moment else ""


def money(amount: Decimal | None, currency: str | None) -> str:
    if amount is None:
        return "—"
    text = f"{amount:,.2f}".replace(",", "·").replace(".", ",").replace("·", ".")
    return f"{text} {currency or ''}".strip()


def schedule(cron: str | None) -> str:
    if not cron:
        return "solo manuale"
    return _SCHEDULE_NAMES.get(cron, f"cron {cron}")


def marketplace(marketplace_id: str | None) -> str:
    if not marketplace_id:
        return "—"
    country = MARKETPLACES.get(marketplace_id)
    return f"{country} ({marketplace_id})" if country else marketplace_id


def duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    seconds = int((end - start).total_seconds())
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def pager(query: Mapping[str, str], page: int) -> str:
    """The current query string with another page number."""
    params = {key: value for key, value in query.items() if key != "page" and value}
    params["page"] = str(page)
    return urlencode(params)
