"""The orders the stand-in serves, indexed for the searches both API versions make."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


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
        for order in orders:
            fulfillment = order.get("fulfillment") or {}
            self._by_id[order["orderId"]] = Indexed(
                order=order,
                created=parse_time(order["createdTime"]),
                updated=parse_time(order["lastUpdatedTime"]),
                marketplace=(order.get("salesChannel") or {}).get("marketplaceId", ""),
                status=fulfillment.get("fulfillmentStatus", "PENDING"),
                fulfilled_by=fulfillment.get("fulfilledBy", "MERCHANT"),
            )
        self._sorted_updated = sorted(self._by_id.values(), key=lambda i: (i.updated, i.order["orderId"]))
        self._sorted_created = sorted(self._by_id.values(), key=lambda i: (i.created, i.order["orderId"]))

    def __len__(self) -> int:
        return len(self._by_id)

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
