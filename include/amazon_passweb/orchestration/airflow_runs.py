"""Whether an Airflow run still runs, as the import and sync guards ask it.

A run record left open in the site store blocks the next import of the account (or the next
changed/total sync) until Airflow says its run is over. Only a definite answer frees it: the run
is in a final state, or Airflow no longer knows it (404). Any other failure to ask counts as
"still running": two imports at once could push the same order twice, a refused start is only
retried later (fail closed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

ACTIVE_STATES = ("queued", "running")


def run_is_active(ti: Any, dag_id: str) -> Callable[[str | None], bool]:
    """A predicate over run ids of ``dag_id``, asking through the task instance ``ti``."""
    def is_active(run_id: str | None) -> bool:
        if not run_id:
            return False
        try:
            state = ti.get_dagrun_state(dag_id=dag_id, run_id=run_id)
        except Exception as error:
            if _not_found(error):
                return False  # gone from Airflow's database: nothing runs it
            log.warning("could not ask Airflow whether run %s of %s still runs (%s: %s): taken as running",
                        run_id, dag_id, type(error).__name__, error)
            return True
        return str(state).lower().rsplit(".", 1)[-1] in ACTIVE_STATES

    return is_active


def _not_found(error: Exception) -> bool:
    """Airflow's answer "no such run": the task SDK raises ``AirflowRuntimeError`` whose error
    carries the API server's status code."""
    detail = getattr(getattr(error, "error", None), "detail", None)
    return isinstance(detail, dict) and detail.get("status_code") == 404
