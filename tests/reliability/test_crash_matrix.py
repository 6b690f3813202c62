"""Crash matrix: the process running the import is killed with SIGKILL at every task boundary and
inside the fetch, reconcile, create and push steps; the next run must leave every order exactly
once in the site and the gestionale, with no customer or address twice, and none lost. Every kill
point runs with the site database on SQLite and on PostgreSQL.

Each case: a worker process (``tests/reliability/crash_worker.py``) runs the account DAG's task
bodies against the stand-ins and kills itself at the crash point; then a new run (another run id,
as Airflow's next manual or scheduled run; the killed one is no longer active) imports from the
same window in this process. Its result is compared with a run that never crashed, made once on
SQLite: both dialects must leave the same records. The same-run retry by Airflow itself, with a
real task process, is ``test_airflow_task_kills.py``.

Figures (``figures.py``): one line per dialect, e.g. "crash matrix [postgresql]: 15 kill points, ...".
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.reliability.crash_worker import BOUNDARY_POINTS, CRASH_POINTS, INSIDE_POINTS, run_import
from tests.reliability.figures import Figure, report
from tests.reliability.reliability_fixtures import (
    assert_exactly_once,
    exactly_once_figures,
    orders_for_test,
    read_outcome,
    run_worker,
    running_services,
    site_database,
    wanted_orders,
)

pytestmark = pytest.mark.slow
GENERATED = 70
ORDERS = orders_for_test(GENERATED, seed=23)
WANTED = set(wanted_orders(ORDERS))
SITE_DIALECTS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
# A create in flight when the worker dies may never have been committed: its write-ahead intent parks the
# order as esito incerto, searched for first and created again only this long after its POST (30 minutes in
# production; just over the matrix's read timeout here). At most one create per request in flight (5).
UNCERTAIN_WAIT_S = 12.0
MAX_IN_FLIGHT = 5


@pytest.fixture(scope="module")
def matrix_figures():
    """One figure per dialect, reported when the module's cases are done."""
    figures: dict[str, Figure] = {}
    yield figures
    for figure in figures.values():
        figure.what = f"{figure.cases} kill points"
        report(figure)


@pytest.fixture
def figure(site_dialect, matrix_figures) -> Figure:
    return matrix_figures.setdefault(
        site_dialect, Figure(f"crash matrix [{site_dialect}]", orders=len(WANTED), generated=GENERATED))


@pytest.fixture
def services(site_dialect, figure, tmp_path, monkeypatch):
    """The stand-ins and a site database of the dialect; the case's time counts in the figure."""
    with figure.timed(), site_database(site_dialect, tmp_path) as url, \
            running_services(tmp_path, ORDERS, site_url=url, gestionale_uncertain_wait_s=UNCERTAIN_WAIT_S) as running:
        for name, value in running.env().items():
            monkeypatch.setenv(name, value)
        yield running


@pytest.fixture(scope="module")
def reference_counts(tmp_path_factory):
    """What a run that never crashed leaves behind (on SQLite; PostgreSQL must leave the same)."""
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


@pytest.mark.parametrize("site_dialect", SITE_DIALECTS)
@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_run_after_a_crash_imports_every_order_exactly_once(services, figure, reference_counts, point):
    crashed = run_worker(services, "--run-id", "manual__crashed", "--crash", point)
    assert crashed.returncode == -signal.SIGKILL, (
        f"the worker did not reach {point} (exit {crashed.returncode}):\n{crashed.stderr[-3000:]}")

    summary = run_import("manual__after_crash")
    recovered_by = "manual__after_crash"
    if summary["push_failed"]:  # orders whose create was in flight at the kill: the next run after the wait
        assert point.startswith("push_") and summary["push_failed"] <= MAX_IN_FLIGHT, summary
        time.sleep(UNCERTAIN_WAIT_S)
        summary = run_import(recovered_by := "manual__after_the_wait")

    outcome = read_outcome(services)
    figure.add(*exactly_once_figures(outcome, WANTED))
    assert_exactly_once(outcome, WANTED)
    assert outcome.counts() == reference_counts, "the crash left more or fewer records than a clean run"
    runs = {run["run_id"]: run for run in outcome.import_runs}
    assert runs["manual__crashed"]["outcome"] == "abandoned"
    assert "manual__crashed" in runs["manual__crashed"]["message"]
    assert runs[recovered_by]["outcome"] == "success", runs[recovered_by]
    assert summary["push_failed"] == 0
