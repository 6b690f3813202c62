"""The asset an account's Amazon notifications update: named once, for the DAG that listens to it and
for the event run's fetch, which reads its events."""

from __future__ import annotations

from typing import Any

from amazon_passweb.config import AccountConfig


def order_changes_asset_name(account: AccountConfig) -> str:
    return f"amazon_order_changes__{account.id}"


def order_changes_asset(account: AccountConfig) -> Any:
    """The asset by name only (the key Airflow looks its events up by; the DAG adds the watcher)."""
    from airflow.sdk import Asset

    return Asset(name=order_changes_asset_name(account))
