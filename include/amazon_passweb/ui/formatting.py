"""How values read on the pages: Italian dates for the inputs, readable schedules and marketplaces.

Moments and amounts are formatted by :mod:`amazon_passweb.notify.formatting`, shared with the
emails, so a report and the page it links to read the same.

Dates are typed and shown as gg/mm/aaaa whatever the browser's language: a native date input
(``<input type="date">``) draws itself in the browser's locale, not the page's ``lang``, so an
operator with an English browser would read and type mm/dd/yyyy. The pages use text inputs with
an Italian pattern instead, parsed here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from urllib.parse import urlencode

from amazon_passweb.config import MARKETPLACES, SCHEDULE_PRESETS
from amazon_passweb.orders.dates import ROME

_SCHEDULE_NAMES = {
    SCHEDULE_PRESETS["hourly"]: "ogni ora",
    SCHEDULE_PRESETS["daily"]: "ogni giorno a mezzanotte",
    SCHEDULE_PRESETS["weekly"]: "ogni lunedì a mezzanotte",
    SCHEDULE_PRESETS["monthly"]: "il primo del mese a mezzanotte",
}


def input_value(moment: datetime | None) -> str:
    """A date and time for a text input, in Italian time: gg/mm/aaaa hh:mm."""
    return moment.astimezone(ROME).strftime("%d/%m/%Y %H:%M") if moment else ""


def day(value: date | None) -> str:
    """A calendar day for a text input: gg/mm/aaaa."""
    return value.strftime("%d/%m/%Y") if value else ""


DAY_PATTERN = r"\d{1,2}/\d{1,2}/\d{4}"  # the inputs' HTML pattern; parse_day says what it means
_DAY = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*")
_MOMENT = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})[ T]+(\d{1,2})[:.](\d{2})\s*")


def parse_day(text: str) -> date:
    """gg/mm/aaaa (also with - or .), or ISO aaaa-mm-gg as in links saved before; ValueError otherwise."""
    match = _DAY.fullmatch(text)
    if match:
        day_, month, year = (int(part) for part in match.groups())
        return date(year, month, day_)
    return date.fromisoformat(text.strip())


def parse_local_moment(text: str) -> datetime:
    """gg/mm/aaaa hh:mm (or ISO) in Italian time, as a zone-aware datetime; ValueError otherwise."""
    match = _MOMENT.fullmatch(text)
    if match:
        day_, month, year, hour, minute = (int(part) for part in match.groups())
        moment = datetime(year, month, day_, hour, minute)
    else:
        moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=ROME)


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
