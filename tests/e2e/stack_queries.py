"""Read-only views of what reached the site and the gestionale stand-in, for the assertions."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import yaml

from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE, load_accounts
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


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def daily_accounts_file(directory: Path) -> Path:
    """The example accounts, scheduled daily: a backfill of a few days is a few runs."""
    raw = yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text())
    for account in raw["accounts"]:
        account["schedule"] = "daily"
    path = directory / "accounts.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def wanted_orders(accounts_file: Path, account_id: str, count: int, seed: int) -> dict[str, datetime]:
    """The generated orders an import of the account keeps, with Amazon's last update time."""
    account = load_accounts(accounts_file).account(account_id)
    statuses = {s.value for s in account.order_statuses}
    return {
        o["orderId"]: moment(o["lastUpdatedTime"])
        for o in generated_orders(count, seed)
        if o["salesChannel"]["marketplaceId"] in account.marketplaces
        and o["fulfillment"]["fulfillmentStatus"] in statuses
    }


def site_watermark(stack, account_id: str) -> datetime | None:
    store = stack.open_site_store()
    with store.unit_of_work() as uow:
        value = uow.accounts.watermark(account_id)
    store.dispose()
    return value
