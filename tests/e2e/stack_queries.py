"""Read-only views of what reached the site and the gestionale stand-in, for the assertions."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

from sandbox.amazon.generate import generate_orders


def generated_orders(count: int, seed: int) -> list[dict]:
    return generate_orders(count, seed)


def site_orders(stack) -> dict[str, dict]:
    with sqlite3.connect(stack.site_db) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT amazon_order_id, state, total_gross, gestionale_document_key FROM orders")
        return {row["amazon_order_id"]: dict(row) for row in rows}


def gestionale_documents(stack) -> list[dict]:
    with sqlite3.connect(stack.workdir / "gestionale" / "gestionale.sqlite3") as db:
        return [json.loads(data) for (data,) in db.execute("SELECT data FROM documenti")]


def amazon_total(order: dict) -> Decimal:
    return Decimal(order["proceeds"]["grandTotal"]["amount"])
