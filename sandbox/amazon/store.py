"""The orders the stand-in serves, indexed for the searches both API versions make.

Orders change after import (a shipment confirmed, an order cancelled): ``replace`` swaps in a
new order dict and re-indexes it, never editing the old one, so an answer being built from it
and the caller's own list of orders stay as they were.
"""

from __future__ import annotations

import bisect
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _index_time(value: Any, fallback: datetime | None = None) -> datetime:
    """An order's time for the search index. The stand-in serves whatever it is given, like
    Amazon: a time it cannot read (missing, not ISO 8601) falls back to the other time, or to
    the start of the epoch, so the order is still served and the client has to cope with it."""
    try:
        moment = parse_time(value)
    except (AttributeError, TypeError, ValueError):
        return fallback or datetime(1970, 1, 1, tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Indexed:
    order: dict[str, Any]
    created: datetime
    updated: datetime
    marketplace: str
    status: str  # v2026 fulfillment status
    fulfilled_by: str  # MERCHANT | AMAZON


def _entry(order: dict[str, Any]) -> Indexed:
    fulfillment = order.get("fulfillment") if isinstance(order.get("fulfillment"), dict) else {}
    channel = order.get("salesChannel") if isinstance(order.get("salesChannel"), dict) else {}
    updated = _index_time(order.get("lastUpdatedTime"))
    return Indexed(
        order=order,
        created=_index_time(order.get("createdTime"), updated),
        updated=updated,
        marketplace=channel.get("marketplaceId", ""),
        status=fulfillment.get("fulfillmentStatus", "PENDING"),
        fulfilled_by=fulfillment.get("fulfilledBy", "MERCHANT"),
    )


def _by_updated(entry: Indexed) -> tuple[datetime, str]:
    return entry.updated, str(entry.order.get("orderId"))


def _by_created(entry: Indexed) -> tuple[datetime, str]:
    return entry.created, str(entry.order.get("orderId"))


class OrderStore:
    def __init__(self, orders: list[dict[str, Any]]):
        self._by_id: dict[str, Indexed] = {}
        # Every order given is served, malformed ones included (no or repeated orderId, odd
        # sections): the index reads them defensively, as Amazon would serve its own data.
        entries = [_entry(order) for order in orders]
        for entry in entries:
            if isinstance(entry.order.get("orderId"), str):
                self._by_id[entry.order["orderId"]] = entry
        self._count = len(entries)
        self._sorted_updated = sorted(entries, key=_by_updated)
        self._sorted_created = sorted(entries, key=_by_created)
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return self._count

    @property
    def lock(self) -> AbstractContextManager[Any]:
        """Held by a change that reads an order and replaces it, so two changes never interleave."""
        return self._lock

    def get(self, order_id: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._by_id.get(order_id)
        return entry.order if entry else None

    def replace(self, order_id: str, order: dict[str, Any]) -> None:
        """Serve ``order`` from now on instead of the order ``order_id`` (same id)."""
        with self._lock:
            old, new = self._by_id[order_id], _entry(order)
            for entries, key in ((self._sorted_updated, _by_updated), (self._sorted_created, _by_created)):
                del entries[next(i for i, e in enumerate(entries) if e is old)]
                bisect.insort(entries, new, key=key)
            self._by_id[order_id] = new

    def add(self, orders: list[dict[str, Any]]) -> None:
        """Serve ``orders`` too, indexed as the constructor indexes its own (new orders placed now)."""
        with self._lock:
            taken = [o["orderId"] for o in orders if isinstance(o.get("orderId"), str) and o["orderId"] in self._by_id]
            if taken:
                raise ValueError(f"orders already served: {', '.join(taken)}")
            for order in orders:
                entry = _entry(order)
                if isinstance(order.get("orderId"), str):
                    self._by_id[order["orderId"]] = entry
                self._count += 1
                bisect.insort(self._sorted_updated, entry, key=_by_updated)
                bisect.insort(self._sorted_created, entry, key=_by_created)

    def search(
        self,
        *,
        by: str,  # "created" | "updated"
        after: datetime,
        before: datetime,
        marketplaces: list[str],
        statuses: list[str],
        fulfilled_by: list[str],
    ) -> list[dict[str, Any]]:
        """Orders with after <= time < before and the filters, oldest first (stable for paging)."""
        with self._lock:
            source = list(self._sorted_created if by == "created" else self._sorted_updated)
        result = []
        for entry in source:
            moment = entry.created if by == "created" else entry.updated
            if moment < after:
                continue
            if moment >= before:
                break
            if marketplaces and entry.marketplace not in marketplaces:
                continue
            if statuses and entry.status not in statuses:
                continue
            if fulfilled_by and entry.fulfilled_by not in fulfilled_by:
                continue
            result.append(entry.order)
        return result
