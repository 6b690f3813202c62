"""Crash matrix: the process running the import is killed with SIGKILL at every task boundary and
inside the fetch, reconcile, create and push steps; the next run must leave every order exactly
once in the site and the gestionale, with no customer or address twice, and none lost.

Each case: a worker process (``tests/reliability/crash_worker.py``) runs the account DAG's task
bodies against the stand-ins and kills itself at the crash point; then a new run (another run id,
as Airflow's next manual or scheduled run; the killed one is no longer active) imports from the
same window in this process. Its result is compared with a run that never crashed.
"""

from __future__ import annotations

import signal

import pytest

from tests.reliability.crash_worker import BOUNDARY_POINTS, CRASH_POINTS, INSIDE_POINTS, run_import
from tests.reliability.reliability_fixtures import (
    assert_exactly_once,
    orders_for_test,
    read_outcome,
    run_worker,
    running_services,
    wanted_orders,
)

pytestmark = pytest.mark.slow
ORDERS = orders_for_test(70, seed=23)
WANTED = set(wanted_orders(ORDERS))


@pytest.fixture
def services(tmp_path, monkeypatch):
    with running_services(tmp_path, ORDERS) as running:
        for name, value in running.env().items():
            monkeypatch.setenv(name, value)
        yield running


@pytest.fixture(scope="module")
def reference_counts(tmp_path_factory):
    """What a run that never crashed leaves behind."""
    with running_services(tmp_path_factory.mktemp("reference"), ORDERS) as running, pytest.MonkeyPatch.context() as mp:
        for name, value in running.env().items():
            mp.setenv(name, value)
        run_import("manual__reference")
        outcome = read_outcome(running)
    assert_exactly_once(outcome, WANTED)
    return outcome.counts()


def test_the_matrix_has_at_least_eight_points_inside_and_between_steps():
    assert len(CRASH_POINTS) >= 8
    assert {"push_document_committed", "create_uncommitted", "create_committed"} <= set(INSIDE_POINTS)
    assert len(BOUNDARY_POINTS) == 8


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_run_after_a_crash_imports_every_order_exactly_once(services, reference_counts, point):
    crashed = run_worker(services, "--run-id", "manual__crashed", "--crash", point)
    assert crashed.returncode == -signal.SIGKILL, (
        f"the worker did not reach {point} (exit {crashed.returncode}):\n{crashed.stderr[-3000:]}")

    summary = run_import("manual__after_crash")

    outcome = read_outcome(services)
    assert_exactly_once(outcome, WANTED)
    assert outcome.counts() == reference_counts, "the crash left more or fewer records than a clean run"
    runs = {run["run_id"]: run for run in outcome.import_runs}
    assert runs["manual__crashed"]["outcome"] == "abandoned"
    assert "manual__crashed" in runs["manual__crashed"]["message"]
    assert runs["manual__after_crash"]["outcome"] == "success", runs["manual__after_crash"]
    assert summary["push_failed"] == 0
