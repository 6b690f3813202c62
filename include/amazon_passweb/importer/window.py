"""Which period of Amazon's *last update time* a run reads, and whether it moves the watermark.

Scheduled and manual runs read from the account's watermark ("Data Ultima
Sincronizzazione Ordini"), less a small overlap, up to two minutes ago (Amazon
rejects a later end). Backfill runs read their own data interval. Runs started by
Amazon's notifications read no window (they fetch the orders named, one by one): their
window is empty, at that same end, and never moves the watermark. A window moves
the watermark only when it starts at or before it, so a gap is never skipped and
the watermark never goes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from amazon_passweb.notify.report import RunKind
from amazon_passweb.orders.dates import AMAZON_END_MARGIN, latest_allowed_end, parse_iso, utc_if_naive

__all__ = ["AMAZON_END_MARGIN", "Window", "compute_window", "latest_allowed_end", "next_watermark",
           "parse_requested_start"]

OVERLAP = timedelta(minutes=10)
FIRST_RUN_LOOKBACK = timedelta(days=30)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    kind: RunKind

    def __post_init__(self):
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("window bounds must be timezone-aware")

    @property
    def is_empty(self) -> bool:
        return self.end <= self.start


def compute_window(
    kind: RunKind,
    now: datetime,
    watermark: datetime | None,
    requested_start: datetime | None = None,
    interval: tuple[datetime, datetime] | None = None,
) -> Window:
    """The window a run reads. ``interval`` is the run's data interval (backfill only)."""
    end_limit = latest_allowed_end(now)
    if kind is RunKind.BACKFILL:
        if interval is None:
            raise ValueError("a backfill run needs its data interval")
        start, end = interval
        return Window(start, min(end, end_limit), kind)
    if kind is RunKind.EVENT:
        return Window(end_limit, end_limit, kind)
    if requested_start is not None:
        start = requested_start
    elif watermark is not None:
        start = watermark - OVERLAP
    else:
        start = now - FIRST_RUN_LOOKBACK
    return Window(start, end_limit, kind)


def next_watermark(window: Window, watermark: datetime | None) -> datetime | None:
    """The watermark after the window was read and stored in full."""
    if window.is_empty:
        return watermark
    if watermark is None:
        return window.end
    if window.start <= watermark < window.end:
        return window.end
    return watermark


def parse_requested_start(value: str | datetime | None) -> datetime | None:
    """The ``window_start`` param: ISO text from the UI, naive values taken as UTC."""
    if value in (None, ""):
        return None
    return parse_iso(value) if isinstance(value, str) else utc_if_naive(value)
