"""Time: the merchant's zone, reading Amazon's and the operator's timestamps, Amazon's 2-minute rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

ROME_ZONE_NAME = "Europe/Rome"
ROME = ZoneInfo(ROME_ZONE_NAME)  # the merchant reads dates, months and times in Italian time

# Amazon refuses a lastUpdatedBefore later than two minutes before now.
AMAZON_END_MARGIN = timedelta(minutes=2)


def parse_iso(text: str) -> datetime:
    """An ISO 8601 timestamp, ``Z`` accepted for UTC, as an aware datetime: a value without an
    offset is taken as UTC. A ValueError when it is not one."""
    return utc_if_naive(datetime.fromisoformat(str(text).strip().replace("Z", "+00:00")))


def utc_if_naive(moment: datetime) -> datetime:
    """An aware datetime as it is; a naive one taken as UTC (Amazon's and Airflow's time)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def rome_date(moment: datetime) -> date:
    """The calendar day of an aware moment in Italy (22:45 UTC on 5 October is 6 October there)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no day in Italy")
    return moment.astimezone(ROME).date()


def latest_allowed_end(now: datetime) -> datetime:
    """The latest end of a window of Amazon's last update time that Amazon accepts."""
    return now - AMAZON_END_MARGIN
