"""Stand-ins for what the pages read from Airflow, so the app runs without a scheduler."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from amazon_passweb.ui.airflow_gateway import AirflowMetadata, BackfillInfo, DagRunActive, DagRunInfo, DagState


@dataclass
class FakeAirflow:
    """DAGs that exist, their runs, and which users may trigger or edit them."""

    dags: set[str] = field(default_factory=set)
    paused: set[str] = field(default_factory=set)
    runs: dict[str, list[DagRunInfo]] = field(default_factory=dict)
    readers_only: set[str] = field(default_factory=set)  # user names without trigger/edit rights
    hidden: dict[str, set[str]] = field(default_factory=dict)  # user name → DAGs the user may not read
    triggered: list[tuple[str, str]] = field(default_factory=list)
    backfills: dict[str, BackfillInfo] = field(default_factory=dict)  # uncompleted backfill per DAG

    def dag_state(self, dag_id: str) -> DagState:
        return DagState(dag_id, exists=dag_id in self.dags, paused=dag_id in self.paused)

    def recent_runs(self, dag_id: str, limit: int = 5) -> list[DagRunInfo]:
        return list(reversed(self.runs.get(dag_id, [])))[:limit]

    def active_backfill(self, dag_id: str) -> BackfillInfo | None:
        return self.backfills.get(dag_id)

    def readable_dag_ids(self, user: Any, dag_ids) -> set[str]:
        return set(dag_ids) - self.hidden.get(user.get_name(), set())

    def may_trigger(self, user: Any, dag_id: str) -> bool:
        return user.get_name() not in self.readers_only

    def may_edit(self, user: Any, dag_id: str) -> bool:
        return user.get_name() not in self.readers_only

    def trigger(self, dag_id: str, user: Any) -> DagRunInfo:
        active = [run for run in self.runs.get(dag_id, []) if run.active]
        if active:
            raise DagRunActive(active[-1])
        run = DagRunInfo(dag_id, f"manual__{len(self.triggered)}", "queued", "manual", datetime.now(UTC),
                         None, None, user.get_name())
        self.runs.setdefault(dag_id, []).append(run)
        self.triggered.append((dag_id, user.get_name()))
        return run

    def finish_all(self, state: str = "success") -> None:
        for dag_id, runs in self.runs.items():
            self.runs[dag_id] = [replace(run, state=state) if run.active else run for run in runs]


class RealPermissions(FakeAirflow):
    """The DAG runs of ``FakeAirflow``, the permissions of Airflow's real auth manager: the product's
    own gateway (``AirflowMetadata``) asks it, with each DAG's team read from the metadata database."""

    def readable_dag_ids(self, user: Any, dag_ids) -> set[str]:
        return AirflowMetadata().readable_dag_ids(user, dag_ids)

    def may_trigger(self, user: Any, dag_id: str) -> bool:
        return AirflowMetadata().may_trigger(user, dag_id)

    def may_edit(self, user: Any, dag_id: str) -> bool:
        return AirflowMetadata().may_edit(user, dag_id)
