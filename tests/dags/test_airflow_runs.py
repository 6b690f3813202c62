"""The import and sync guards ask Airflow whether the run holding an open record still runs: only a
definite "over" or "unknown run" frees it; any failure to ask keeps it (fail closed)."""

from __future__ import annotations

import pytest
from airflow.sdk.exceptions import AirflowRuntimeError, ErrorType
from airflow.sdk.execution_time.comms import ErrorResponse
from airflow.utils.state import DagRunState

from amazon_passweb.orchestration.airflow_runs import run_is_active


class _TaskInstance:
    """Answers ``get_dagrun_state`` as the task SDK does: a state, or the error it raises."""

    def __init__(self, answer):
        self.answer, self.asked = answer, []

    def get_dagrun_state(self, dag_id: str, run_id: str):
        self.asked.append((dag_id, run_id))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def _api_error(status_code: int | None) -> AirflowRuntimeError:
    return AirflowRuntimeError(ErrorResponse(error=ErrorType.API_SERVER_ERROR,
                                             detail={"status_code": status_code, "message": "…"}))


@pytest.mark.parametrize(("answer", "active"), [
    (DagRunState.RUNNING, True),
    (DagRunState.QUEUED, True),
    ("running", True),
    (DagRunState.SUCCESS, False),
    (DagRunState.FAILED, False),
    (_api_error(404), False),  # Airflow no longer knows the run: nothing runs it
    (_api_error(500), True),  # the API server failed: cannot tell, so it may still run
    (_api_error(None), True),  # no answer at all (a network error on the supervisor's side)
    (ConnectionError("refused"), True),
])
def test_only_a_definite_answer_frees_an_open_run(answer, active):
    ti = _TaskInstance(answer)
    assert run_is_active(ti, "amazon_orders__it_main")("scheduled__1") is active
    assert ti.asked == [("amazon_orders__it_main", "scheduled__1")]


def test_a_record_without_a_run_id_is_asked_of_nobody():
    ti = _TaskInstance(DagRunState.RUNNING)
    assert run_is_active(ti, "amazon_orders__it_main")(None) is False and ti.asked == []
