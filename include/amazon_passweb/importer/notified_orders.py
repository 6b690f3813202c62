"""The orders an event run imports: those Amazon's ORDER_CHANGE notifications named, read one by one.

The notifications come as the run's triggering asset events (``orchestration.order_change_trigger``),
each carrying ``{"changes": [OrderChange.as_dict(), ...]}``. Several may name one order (a change, then
another; a duplicate delivery) and in any order: the order is read once, as Amazon has it now, and
the inbox keeps whichever version has the newest last update (``site.inbox``), so a late or repeated
notification never brings an older version back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from amazon_passweb.amazon.client import OrdersClient
from amazon_passweb.amazon.errors import MalformedResponseError, SpApiError
from amazon_passweb.amazon.models import AmazonOrder
from amazon_passweb.amazon.notifications import NotificationError, OrderChange
from amazon_passweb.site.notifications import AssetEventMark

log = logging.getLogger(__name__)

PAGE = 50  # orders stored per inbox transaction, as a search page would be


CURSOR_SLACK = timedelta(minutes=5)  # asset events are read from this long before the last consumed one


def events_after(triggering: Iterable[Any], later: Any, consumed: AssetEventMark | None) -> list[Any]:
    """The asset events this run consumes. With ``later`` (the asset's inlet events accessor): every
    event since the last ``consumed`` one, or since the earliest ``triggering`` one on an account's
    first event run, oldest first; Airflow numbers an asset's events as its one watcher stores them,
    and reading from a few minutes before the mark's time costs nothing. Without it (a run outside
    Airflow's task runner): the ``triggering`` events."""
    triggering = list(triggering)
    if later is None:
        return triggering
    since = consumed.at if consumed else min((event.timestamp for event in triggering), default=None)
    if since is not None:
        later = later.after((since - CURSOR_SLACK).isoformat())
    fresh = [event for event in later if consumed is None or event.id > consumed.id]
    return sorted(fresh, key=lambda event: event.id)


def newest_asset_event(events: Iterable[Any]) -> AssetEventMark | None:
    """The newest of ``events`` that Airflow numbered (a triggering event's reference carries no id)."""
    numbered = [event for event in events if getattr(event, "id", None) is not None]
    newest = max(numbered, key=lambda event: event.id, default=None)
    return AssetEventMark(newest.id, newest.timestamp) if newest is not None else None


def changes_of(asset_events: Any) -> list[OrderChange]:
    """Every order change the run's triggering asset events carry (``context["triggering_asset_events"]``:
    asset → events, each with ``extra["payload"]["changes"]``). An unreadable one is left out, logged
    without its content: the scheduled run reads that order anyway."""
    changes, unreadable = [], 0
    groups = asset_events.values() if isinstance(asset_events, Mapping) else (asset_events or ())
    for events in groups:
        for event in events:
            extra = getattr(event, "extra", None) or {}
            payload = extra.get("payload") if isinstance(extra, Mapping) else None
            raws = payload.get("changes") if isinstance(payload, Mapping) else None
            for raw in raws or ():
                try:
                    changes.append(OrderChange.from_dict(raw))
                except NotificationError:
                    unreadable += 1
    if unreadable:
        log.warning("%d order change(s) in the asset events could not be read and were left out", unreadable)
    return changes


def latest_by_order(changes: Iterable[OrderChange]) -> list[OrderChange]:
    """One change per order, the latest Amazon announced; in the order of those times."""
    latest: dict[str, OrderChange] = {}
    for change in changes:
        kept = latest.get(change.order_id)
        if kept is None or kept.event_time < change.event_time:
            latest[change.order_id] = change
    return sorted(latest.values(), key=lambda change: (change.event_time, change.order_id))


@dataclass
class NotifiedFetch:
    """What reading the notified orders found: orders Amazon no longer has, orders it sent unreadable."""

    missing: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


def notified_pages(client: OrdersClient, changes: Iterable[OrderChange], outcome: NotifiedFetch,
                   page: int = PAGE) -> Iterator[list[AmazonOrder]]:
    """The notified orders read with getOrder (the client's rate limiter paces its 0.5/s, burst 30),
    yielded in pages so that each page is stored before the next is read. An order Amazon answers 404
    for is skipped, and so is one it sends unreadable (the scheduled run's search reads it and records
    why it cannot be imported); any other failure fails the fetch, as a search would."""
    batch: list[AmazonOrder] = []
    for change in changes:
        try:
            batch.append(client.get_order(change.order_id))
        except MalformedResponseError:
            outcome.unreadable.append(change.order_id)
            log.warning("order %s: Amazon's answer cannot be read; the next scheduled run reads it again",
                        change.order_id)
            continue
        except SpApiError as error:
            if error.status != 404:
                raise
            outcome.missing.append(change.order_id)
            log.info("order %s named by a notification: Amazon no longer has it (404), skipped", change.order_id)
            continue
        if len(batch) >= page:
            yield batch
            batch = []
    if batch:
        yield batch


def newest_event(changes: Iterable[OrderChange]) -> datetime | None:
    return max((change.event_time for change in changes), default=None)
