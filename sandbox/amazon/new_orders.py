"""``POST /_sandbox/orders``: orders placed now, as a buyer would place them on Amazon.

The orders come from the generator (same catalogue, buyers, prices and taxes) and are the ones it
makes in the states a just-placed order has: ``PENDING`` (not yet paid) or ``UNSHIPPED`` (paid,
nothing shipped, the delivery address shown), optionally only merchant-fulfilled ones. Their
``createdTime`` and ``lastUpdatedTime`` are now, their ship-by window starts from now.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.amazon.errors import invalid_input
from sandbox.amazon.generate import generate_orders
from sandbox.amazon.orders_v2026 import iso
from sandbox.amazon.store import OrderStore

NEW_STATUSES = ("PENDING", "UNSHIPPED")
MAX_COUNT = 500


def read_request(body: Any) -> tuple[int, int | None, str | None]:
    """(count, seed, fulfilledBy) of a valid control body."""
    if not isinstance(body, dict):
        raise invalid_input('The body must be a JSON object: {"count": N, "seed": S, "fulfilledBy": "MERCHANT"}.')
    count, seed, fulfilled_by = body.get("count"), body.get("seed"), body.get("fulfilledBy")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_COUNT:
        raise invalid_input(f"count must be a whole number from 1 to {MAX_COUNT}.")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise invalid_input("seed must be a whole number.")
    if fulfilled_by not in (None, "MERCHANT", "AMAZON"):
        raise invalid_input("fulfilledBy must be MERCHANT or AMAZON.")
    return count, seed, fulfilled_by


def place_orders(
    store: OrderStore, count: int, seed: int | None, fulfilled_by: str | None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Make ``count`` new orders (same seed and store, same orders), serve them, and return them."""
    now = now or datetime.now(UTC)
    seed = random.SystemRandom().randrange(2**32) if seed is None else seed
    with store.lock:  # the ids checked free are still free when the orders are added
        chosen = _choose(store, count, seed, fulfilled_by, now)
        store.add(chosen)
    return chosen


def _choose(store: OrderStore, count: int, seed: int, fulfilled_by: str | None,
            now: datetime) -> list[dict[str, Any]]:
    chosen: list[dict[str, Any]] = []
    seen: set[str] = set()
    batch = 0
    while len(chosen) < count:
        # A new batch of the generator's orders each round, keeping those a buyer has just placed.
        for order in generate_orders(max(4 * count, 20), seed=seed * 7919 + batch):
            fulfillment = order["fulfillment"]
            if fulfillment["fulfillmentStatus"] not in NEW_STATUSES:
                continue
            if fulfilled_by and fulfillment["fulfilledBy"] != fulfilled_by:
                continue
            if order["orderId"] in seen or store.get(order["orderId"]) is not None:
                continue
            seen.add(order["orderId"])
            chosen.append(_placed(order, now))
            if len(chosen) == count:
                break
        batch += 1
    return chosen


def _placed(order: dict[str, Any], now: datetime) -> dict[str, Any]:
    placed = dict(order, createdTime=iso(now), lastUpdatedTime=iso(now))
    fulfillment = dict(order["fulfillment"])
    if "shipByWindow" in fulfillment:
        fulfillment["shipByWindow"] = {"earliestDateTime": iso(now + timedelta(hours=2)),
                                       "latestDateTime": iso(now + timedelta(days=2))}
    placed["fulfillment"] = fulfillment
    return placed
