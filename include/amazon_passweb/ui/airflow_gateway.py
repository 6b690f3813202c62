"""What the pages need from Airflow itself: a DAG's state and runs, permissions, and triggering.

Permissions are the auth manager's, on each account's DAG (``DagDetails`` with the DAG's id and
its team, as Airflow's own REST API asks them): reading the DAG (``GET``) shows the account's
data, editing it (``PUT``) changes them, creating its runs (``POST`` on ``RUN``) triggers it.

Triggering goes through Airflow's own ``trigger_dag`` in the API server's
process, after the same permission check Airflow's REST endpoint makes
(``POST`` on the DAG's runs for this user), so the run is recorded as triggered
from the UI by that user and appears in the Airflow UI and audit log as usual.
The "already running?" check and the trigger share one metadata transaction
that locks the DAG's row, so two operators pressing at once start one run.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

ACTIVE_STATES = ("queued", "running")


@dataclass(frozen=True)
class DagState:
    dag_id: str
    exists: bool
    paused: bool = False
    next_run_after: datetime | None = None


@dataclass(frozen=True)
class DagRunInfo:
    dag_id: str
    run_id: str
    state: str
    run_type: str
    queued_at: datetime | None
    start_date: datetime | None
    end_date: datetime | None
    triggered_by_user: str | None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES


@dataclass(frozen=True)
class BackfillInfo:
    """A backfill of the DAG that Airflow has not completed yet (at most one per DAG)."""

    dag_id: str
    from_date: datetime
    to_date: datetime
    runs: int  # runs created for it so far
    runs_finished: int
    max_active_runs: int
    reprocess_behavior: str
    created_by: str | None


class DagRunActive(Exception):
    """A run of the DAG is queued or running: a second import of the account must not start."""

    def __init__(self, run: DagRunInfo) -> None:
        super().__init__(f"{run.dag_id}: run {run.run_id} is {run.state}")
        self.run = run


class DagNotAvailable(Exception):
    """Airflow cannot run the DAG now: unknown, stale, with import errors, or refused by Airflow."""


class AirflowGateway(Protocol):
    def dag_state(self, dag_id: str) -> DagState: ...

    def recent_runs(self, dag_id: str, limit: int = 5) -> list[DagRunInfo]: ...

    def active_backfill(self, dag_id: str) -> BackfillInfo | None: ...

    def readable_dag_ids(self, user: Any, dag_ids: Collection[str]) -> set[str]: ...

    def may_trigger(self, user: Any, dag_id: str) -> bool: ...

    def may_edit(self, user: Any, dag_id: str) -> bool: ...

    def trigger(self, dag_id: str, user: Any) -> DagRunInfo: ...


def _run_info(run: Any) -> DagRunInfo:
    return DagRunInfo(
        dag_id=run.dag_id,
        run_id=run.run_id,
        state=str(run.state.value if hasattr(run.state, "value") else run.state),
        run_type=str(run.run_type.value if hasattr(run.run_type, "value") else run.run_type),
        queued_at=run.queued_at,
        start_date=run.start_date,
        end_date=run.end_date,
        triggered_by_user=getattr(run, "triggering_user_name", None),
    )


class AirflowMetadata:
    """The gateway over Airflow's metadata database and auth manager (inside the API server)."""

    def dag_state(self, dag_id: str) -> DagState:
        from airflow.models.dag import DagModel
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            dag = session.scalar(select(DagModel).where(DagModel.dag_id == dag_id, ~DagModel.is_stale))
            if dag is None:
                return DagState(dag_id, exists=False)
            return DagState(dag_id, exists=True, paused=bool(dag.is_paused),
                            next_run_after=dag.next_dagrun_create_after)

    def recent_runs(self, dag_id: str, limit: int = 5) -> list[DagRunInfo]:
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            runs = session.scalars(
                select(DagRun).where(DagRun.dag_id == dag_id).order_by(DagRun.id.desc()).limit(limit)
            )
            return [_run_info(run) for run in runs]

    def active_backfill(self, dag_id: str) -> BackfillInfo | None:
        from airflow.models.backfill import Backfill
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
        from sqlalchemy import func, select

        with create_session() as session:
            backfill = session.scalar(
                select(Backfill).where(Backfill.dag_id == dag_id, Backfill.completed_at.is_(None))
                .order_by(Backfill.id.desc()).limit(1)
            )
            if backfill is None:
                return None
            states = dict(session.execute(
                select(DagRun.state, func.count()).where(DagRun.backfill_id == backfill.id).group_by(DagRun.state)
            ).all())
            finished = sum(count for state, count in states.items()
                           if getattr(state, "value", state) in ("success", "failed"))
            return BackfillInfo(dag_id, backfill.from_date, backfill.to_date, sum(states.values()), finished,
                                backfill.max_active_runs, str(backfill.reprocess_behavior),
                                backfill.triggering_user_name)

    def _authorized(self, user: Any, dag_id: str, method: str, entity: Any) -> bool:
        from airflow.api_fastapi.app import get_auth_manager
        from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails
        from airflow.models.dag import DagModel

        details = DagDetails(id=dag_id, team_name=DagModel.get_team_name(dag_id))
        return get_auth_manager().is_authorized_dag(method=method, access_entity=entity, details=details, user=user)

    def readable_dag_ids(self, user: Any, dag_ids: Collection[str]) -> set[str]:
        """The DAGs among ``dag_ids`` the user may read, asked once per team (the auth manager's
        filter may answer a whole set at once). The ids come from the accounts file, not from
        Airflow's DAG table, so an account whose DAG is not parsed yet is still decided."""
        from airflow.api_fastapi.app import get_auth_manager
        from airflow.models.dag import DagModel

        teams = DagModel.get_dag_id_to_team_name_mapping(list(dag_ids))
        by_team: dict[str | None, set[str]] = defaultdict(set)
        for dag_id in dag_ids:
            by_team[teams.get(dag_id)].add(dag_id)
        manager = get_auth_manager()
        readable: set[str] = set()
        for team_name, ids in by_team.items():
            readable |= manager.filter_authorized_dag_ids(dag_ids=ids, user=user, method="GET", team_name=team_name)
        return readable

    def may_trigger(self, user: Any, dag_id: str) -> bool:
        from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity

        return self._authorized(user, dag_id, "POST", DagAccessEntity.RUN)

    def may_edit(self, user: Any, dag_id: str) -> bool:
        return self._authorized(user, dag_id, "PUT", None)

    def trigger(self, dag_id: str, user: Any) -> DagRunInfo:
        from airflow.api.common.trigger_dag import trigger_dag
        from airflow.exceptions import DagNotFound, DagRunAlreadyExists
        from airflow.models.dag import DagModel
        from airflow.models.dagrun import DagRun
        from airflow.models.log import Log
        from airflow.utils.session import create_session
        from airflow.utils.types import DagRunTriggeredByType
        from sqlalchemy import select

        with create_session() as session:
            dag = session.scalar(
                select(DagModel).where(DagModel.dag_id == dag_id, ~DagModel.is_stale).with_for_update()
            )
            if dag is None or dag.has_import_errors:
                raise DagNotAvailable(dag_id)
            active = session.scalar(
                select(DagRun)
                .where(DagRun.dag_id == dag_id, DagRun.state.in_(ACTIVE_STATES))
                .order_by(DagRun.id.desc())
                .limit(1)
            )
            if active is not None:
                raise DagRunActive(_run_info(active))
            try:
                run = trigger_dag(
                    dag_id,
                    triggered_by=DagRunTriggeredByType.UI,
                    triggering_user_name=user.get_name(),
                    conf={},
                    session=session,
                )
            except (DagNotFound, DagRunAlreadyExists, ValueError) as error:
                raise DagNotAvailable(str(error)) from None
            session.add(Log(event="amazon_sincro_ordini", owner=user.get_name(), dag_id=dag_id,
                            run_id=run.run_id, extra=json.dumps({"source": "Amazon – Account"})))
            session.flush()
            return _run_info(run)
