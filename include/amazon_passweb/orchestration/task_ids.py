"""The sync DAG's task and run ids, shared by the DAG factory and the sync task that reads them back."""

from __future__ import annotations


def import_task_id(account_id: str) -> str:
    """The task that waits for one account's import (read back by the sync task)."""
    return f"import__{account_id}"


def trigger_task_id(account_id: str) -> str:
    return f"trigger__{account_id}"


def pre_sync_run_id(sync_run_id: str, account_id: str) -> str:
    """The id of the account DAG run a sync run triggers."""
    return f"pre_sync__{sync_run_id}__{account_id}"
