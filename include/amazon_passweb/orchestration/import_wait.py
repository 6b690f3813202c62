"""Waiting, in the triggerer, for the account import a sync run triggered, for a bounded time.

Airflow's own wait of ``TriggerDagRunOperator`` has no timeout: an account DAG paused after the
trigger (its run never starts) or a run stuck behind another would hold the sync for ever. This
waits with a deadline; when it passes the task fails and the sync carries on without that account.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.providers.standard.triggers.external_task import DagStateTrigger
from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

DEFAULT_WAIT_MINUTES = 120  # a hundred accounts' imports, queued on shared pools, end well within it


class WaitForImport(BaseOperator):
    """Succeeds when the account's run ``run_id`` of ``dag_id`` succeeded; fails when it failed, when the
    DAG is paused, or after ``params.import_wait_minutes`` without an end."""

    template_fields = ("run_id",)
    ui_color = "#e8f0fe"

    def __init__(self, *, dag_id_to_wait: str, run_id: str, poke_interval: float = 10, **kwargs: Any):
        super().__init__(**kwargs)
        self.dag_id_to_wait = dag_id_to_wait
        self.run_id = run_id
        self.poke_interval = poke_interval

    def execute(self, context: Any) -> None:
        if context["ti"].get_dag(self.dag_id_to_wait).is_paused:
            raise AirflowFailException(f"{self.dag_id_to_wait} is paused: its import cannot run")
        minutes = float((context.get("params") or {}).get("import_wait_minutes") or DEFAULT_WAIT_MINUTES)
        self.defer(
            trigger=DagStateTrigger(
                dag_id=self.dag_id_to_wait,
                states=["success", "failed"],
                run_ids=[self.run_id],
                poll_interval=self.poke_interval,
            ),
            method_name="execute_complete",
            timeout=timedelta(minutes=minutes),
        )

    def execute_complete(self, context: Any, event: tuple[str, dict[str, Any]]) -> None:
        state = event[1].get(self.run_id)
        if state != "success":
            raise AirflowFailException(f"{self.dag_id_to_wait} run {self.run_id} ended {state}")
