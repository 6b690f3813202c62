"""The orders the stand-in serves, indexed for the searches both API versions make."""

from __future__ import annotations

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


class OrderStore:
    def __init__(self, orders: list[dict[str, Any]]):
        self._by_id: dict[str, Indexed] = {}
        # Every order given is served, malformed ones included (no or repeated orderId, odd
        # sections): the index reads them defensively, as Amazon would serve its own data.
        entries = []
        for order in orders:
            fulfillment = order.get("fulfillment") if isinstance(order.get("fulfillment"), dict) else {}
            channel = order.get("salesChannel") if isinstance(order.get("salesChannel"), dict) else {}
            updated = _index_time(order.get("lastUpdatedTime"))
            entry = Indexed(
                order=order,
                created=_index_time(order.get("createdTime"), updated),
                updated=updated,
                marketplace=channel.get("marketplaceId", ""),
                status=fulfillment.get("fulfillmentStatus", "PENDING"),
                fulfilled_by=fulfillment.get("fulfilledBy", "MERCHANT"),
            )
            entries.append(entry)
            if isinstance(order.get("orderId"), str):
                self._by_id[order["orderId"]] = entry
        self._count = len(entries)
        self._sorted_updated = sorted(entries, key=lambda i: (i.updated, str(i.order.get("orderId"))))
        self._sorted_created = sorted(entries, key=lambda i: (i.created, str(i.order.get("orderId"))))

    def __len__(self) -> int:
        return self._count

    def get(self, order_id: str) -> dict[str, Any] | None:
        entry = self._by_id.get(order_id)
        return entry.order if entry else None

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
        source = self._sorted_created if by == "created" else self._sorted_updated
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
