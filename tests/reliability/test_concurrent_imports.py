"""A manual, a scheduled and a pre-sync import of one account, started at the same instant in three
processes, on SQLite and on PostgreSQL; and three imports that overlap whole, pushes included.

In Airflow the account DAG has ``max_active_runs=1``, so extra runs queue; behind that, the site
database lets one import of an account run at a time (a partial unique index on the open import
run), whoever starts it: a second one is refused with ImportAlreadyRunning, and its fetch task is
retried as Airflow retries a failed task; the refusal says so in Italian (``importer/busy.py``).
This test takes Airflow's queue away and keeps only the
database rule, with the Airflow run states it consults: each worker's run counts as active while
its process lives. Expected: the imports run one after the other, the operator sees in the
refused tasks' logs why they waited, and every order is imported exactly once.
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest

from amazon_passweb.importer.busy import refusal_message
from amazon_passweb.importer.window import RunKind
from tests.reliability.crash_worker import REFUSED, run_import
from tests.reliability.reliability_fixtures import (
    ACCOUNT_ID,
    assert_exactly_once,
    orders_for_test,
    read_outcome,
    running_services,
    site_database,
    start_worker,
    wanted_orders,
)

pytestmark = pytest.mark.slow
ORDERS = orders_for_test(70, seed=31)
WANTED = set(wanted_orders(ORDERS))
RUNS = {"manual__2026-11-27T10:00:00": "manual", "scheduled__2026-11-27T10:00:00": "scheduled",
        "manual__pre-sync-2026-11-27T10:00:00": "pre-sync"}
REFUSAL = refusal_message(ACCOUNT_ID, RunKind.MANUAL, None, None)  # the same for every non-backfill kind


def _as_datetime(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


@pytest.mark.parametrize("dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_three_imports_started_together_run_one_at_a_time_and_import_once(tmp_path, dialect):
    with site_database(dialect, tmp_path) as url, running_services(tmp_path, ORDERS, site_url=url) as services:
        services.gestionale.faults.update(latency_s=0.1)  # an import that takes a few seconds
        alive, start_line = tmp_path / "alive", tmp_path / "go"
        alive.mkdir()
        workers = {run_id: start_worker(services, "--run-id", run_id, "--kind", kind, "--alive-dir", str(alive),
                                        "--wait-for", str(start_line), "--retries", "300", "--retry-delay", "0.2")
                   for run_id, kind in RUNS.items()}
        results = _start_together(workers, alive, start_line)
        codes = {run_id: worker.returncode for run_id, worker in workers.items()}
        assert codes == dict.fromkeys(RUNS, 0), {r: (codes[r], err[-2000:]) for r, (_, err) in results.items()
                                                 if codes[r]}
        assert REFUSED not in codes.values()

        refusals = {run_id: [json.loads(line)["refused"] for line in out.splitlines() if '"refused"' in line]
                    for run_id, (out, _) in results.items()}
        waited = [run_id for run_id, messages in refusals.items() if messages]
        assert len(waited) == 2, f"all three started at once: two must have waited ({refusals})"
        assert all(message == REFUSAL for run_id in waited for message in refusals[run_id])

        outcome = read_outcome(services)
    assert_exactly_once(outcome, WANTED)
    runs = [run for run in outcome.import_runs if run["run_id"] in RUNS]
    assert sorted(run["run_id"] for run in runs) == sorted(RUNS), "one import-run record per run, none refused"
    assert {run["outcome"] for run in runs} == {"success"}
    spans = sorted((_as_datetime(run["started_at"]), _as_datetime(run["finished_at"])) for run in runs)
    for (_, previous_end), (next_start, _) in zip(spans, spans[1:], strict=False):
        assert next_start >= previous_end, f"two imports of {ACCOUNT_ID} overlapped: {spans}"


@pytest.mark.parametrize("dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_overlapping_imports_without_the_run_guard_still_create_nothing_twice(tmp_path, dialect):
    """Should two imports ever overlap (a dead run taken over while it still ran), the site's own
    constraints keep orders, customers and addresses single. The pre-sync kind leaves the push to
    the sync, which runs afterwards alone, as the gestionale pool makes it."""
    with site_database(dialect, tmp_path) as url, running_services(tmp_path, ORDERS, site_url=url) as services:
        alive, start_line = tmp_path / "alive", tmp_path / "go"
        alive.mkdir()
        workers = {f"{run_id}-unguarded": start_worker(
            services, "--run-id", f"{run_id}-unguarded", "--kind", "pre-sync", "--alive-dir", str(alive),
            "--wait-for", str(start_line), "--without-run-guard") for run_id in RUNS}
        results = _start_together(workers, alive, start_line)
        failed = {run_id: err[-2000:] for (run_id, (_, err)), w in zip(results.items(), workers.values(),
                                                                        strict=True) if w.returncode}
        assert not failed, failed
        with pytest.MonkeyPatch.context() as env:
            for name, value in services.env().items():
                env.setenv(name, value)
            run_import("manual__after-overlap")
        outcome = read_outcome(services)
    assert_exactly_once(outcome, WANTED)


@pytest.mark.parametrize("dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_overlapping_imports_that_push_at_once_create_nothing_twice_in_the_gestionale(tmp_path, dialect):
    """Three imports of the account overlapping whole (no run guard), each pushing the same Registrato
    orders, their new customers and addresses, at the same time, with the WebAPI slowed so that the
    pushes overlap. Airflow's pool is not there: only the site's write lease keeps them apart. Expected:
    the pushes ran one after the other (their partial sync runs do not overlap), and the gestionale has
    every document, customer and address once."""
    with site_database(dialect, tmp_path) as url, running_services(tmp_path, ORDERS, site_url=url) as services:
        services.gestionale.faults.update(latency_s=0.05)  # each push lasts a few seconds
        alive, start_line = tmp_path / "alive", tmp_path / "go"
        alive.mkdir()
        workers = {f"{run_id}-pushing": start_worker(
            services, "--run-id", f"{run_id}-pushing", "--kind", "manual", "--alive-dir", str(alive),
            "--wait-for", str(start_line), "--without-run-guard") for run_id in RUNS}
        results = _start_together(workers, alive, start_line)
        failed = {run_id: err[-2000:] for (run_id, (_, err)), w in zip(results.items(), workers.values(),
                                                                        strict=True) if w.returncode}
        assert not failed, failed
        summaries = [json.loads(line)["summary"] for out, _ in results.values() for line in out.splitlines()
                     if line.startswith('{"summary"')]
        outcome = read_outcome(services)
    assert len(summaries) == len(workers) and not any(s.get("push_busy") for s in summaries)
    assert sum(s["pushed"] for s in summaries) == sum(1 for o in outcome.site_orders if o["state"] == "Memorizzato")
    assert_exactly_once(outcome, WANTED)
    pushes = sorted((_as_datetime(run["started_at"]), _as_datetime(run["finished_at"]))
                    for run in outcome.sync_runs if run["sync_type"] == "partial")
    assert len(pushes) == len(workers), outcome.sync_runs
    for (_, previous_end), (next_start, _) in zip(pushes, pushes[1:], strict=False):
        assert next_start >= previous_end, f"two pushes overlapped: {pushes}"


def _start_together(workers: dict[str, subprocess.Popen], alive: Path, start_line: Path) -> dict[str, tuple]:
    """Release the workers at one instant once all are ready; their (stdout, stderr) when they end."""
    try:
        _wait_until(lambda: len(list(alive.iterdir())) == len(workers)
                    or any(w.poll() is not None for w in workers.values()))
        start_line.touch()
        return {run_id: worker.communicate(timeout=150) for run_id, worker in workers.items()}
    finally:
        for worker in workers.values():
            if worker.poll() is None:
                worker.kill()
                worker.wait()


def _wait_until(condition, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the workers did not get ready"
        time.sleep(0.05)
