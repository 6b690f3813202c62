"""One account's import, task body after task body as the account DAG runs them, in a process
that can be made to die with SIGKILL at a named crash point.

    python -m tests.reliability.crash_worker --run-id RUN [--crash POINT] [--kind manual|scheduled|pre-sync]
                                             [--alive-dir DIR] [--wait-for FILE] [--retries N]
                                             [--task-retries N] [--without-run-guard]

The product is reached only through its environment (``AIRFLOW_CONN_*``, ``SITE_PII_KEY``), as
in a real Airflow worker. The Airflow context is a small stand-in: the run id, the run type and
conf, the params, and a task instance that answers whether another run of the DAG is still
active (with ``--alive-dir``: the runs whose worker process is alive, each marked by a file
named after its run id; without it: no other run is active, as after a killed worker).

Crash points live here, never in the product: a product function is wrapped so that the
process kills itself right after (``after``) or right before (``before``) its N-th call, or a
task boundary is reached. The exit status tells the test what happened: killed by SIGKILL,
0 (import done), or :data:`REFUSED` (another import of the account was running, every retry).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from amazon_passweb.amazon.client import OrdersClient
from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.importer import steps
from amazon_passweb.importer.pipeline import IMPORT_STEPS, AccountImport
from amazon_passweb.orchestration import account_tasks as tasks
from amazon_passweb.site.customers import CustomerRepository
from amazon_passweb.site.errors import ImportAlreadyRunning
from amazon_passweb.site.inbox import InboxRepository
from amazon_passweb.site.orders import OrderRepository
from tests.reliability.reliability_fixtures import ACCOUNT_ID, WINDOW_START

TASKS = IMPORT_STEPS  # the account DAG's tasks, in order
REFUSED = 3  # exit status: refused on every attempt


@dataclass(frozen=True)
class Wrapped:
    """Kill the process ``when`` ('before' or 'after') the ``nth`` call of ``owner.name``."""

    owner: type
    name: str
    nth: int
    when: str = "after"


# Inside a step: the product function whose N-th call is the last thing the process does.
INSIDE_POINTS: dict[str, Wrapped] = {
    # fetch: the first page's orders written to the inbox, its transaction not committed
    "fetch_mid_page": Wrapped(InboxRepository, "upsert_many", 1),
    # reconcile: the first batch's new customers created in the site, the batch not committed
    "reconcile_uncommitted": Wrapped(CustomerRepository, "get_or_create_many", 1),
    # create: the first batch's orders inserted, their transaction (orders + inbox status) not committed
    "create_uncommitted": Wrapped(OrderRepository, "create_many", 1),
    # create: a batch of orders committed, the next not started
    "create_committed": Wrapped(OrderRepository, "create_many", 2, "before"),
    # push: the gestionale created a customer, its document not yet sent
    "push_customer_committed": Wrapped(GestionaleClient, "ensure_customer", 3),
    # push: the gestionale committed documents, the site has not recorded them (state, key, customer code)
    "push_document_committed": Wrapped(GestionaleClient, "create_document", 3),
    # push: the site is recording the stored order, its transaction not committed
    "push_record_uncommitted": Wrapped(OrderRepository, "mark_stored", 2),
}
# Inside the shipment confirmation: reached only when delivery documents wait (test_shipment_crashes.py).
SHIPMENT_POINTS: dict[str, Wrapped] = {
    # shipments: the first package recorded in the site (its packageReferenceId), Amazon not yet called
    "ship_recorded_unsent": Wrapped(OrdersClient, "confirm_shipment", 1, "before"),
    # shipments: Amazon accepted the second package, the site has not recorded it
    "ship_answered_unrecorded": Wrapped(OrdersClient, "confirm_shipment", 2),
}
# Between two tasks: the task named has returned (and committed), the next has not started.
BOUNDARY_POINTS = {f"after_{name}": name for name in TASKS[:-1]}
CRASH_POINTS = (*BOUNDARY_POINTS, *INSIDE_POINTS)


# Batches much smaller than the product's, so that the import has several and a crash can fall
# between two committed ones.
CRASH_BATCH = 20


def die() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def arm(point: Wrapped) -> None:
    original: Callable = getattr(point.owner, point.name)
    calls = 0
    lock = threading.Lock()

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        with lock:
            calls += 1
            nth = calls
        if point.when == "before" and nth == point.nth:
            die()
        result = original(*args, **kwargs)
        if point.when == "after" and nth == point.nth:
            die()
        return result

    setattr(point.owner, point.name, wrapper)


class FakeTaskInstance:
    """``get_dagrun_state``: what Airflow's task SDK answers about another run of the DAG."""

    def __init__(self, alive_dir: Path | None):
        self.alive_dir = alive_dir

    def get_dagrun_state(self, dag_id: str, run_id: str) -> str:
        if self.alive_dir is not None and (self.alive_dir / run_id).exists():
            return "running"
        return "failed"


def airflow_context(run_id: str, kind: str, alive_dir: Path | None, window_start: str | None) -> dict[str, Any]:
    run_type = {"manual": "manual", "pre-sync": "manual", "scheduled": "scheduled"}[kind]
    conf = {"trigger": "pre-sync"} if kind == "pre-sync" else {}
    return {
        "run_id": run_id,
        "dag_run": SimpleNamespace(run_type=run_type, conf=conf),
        "params": {"window_start": window_start, "dry_run": False},
        "ti": FakeTaskInstance(alive_dir),
        "data_interval_start": None,
        "data_interval_end": None,
    }


def run_import(run_id: str, *, kind: str = "manual", crash: str | None = None, alive_dir: Path | None = None,
               retries: int = 0, retry_delay_s: float = 0.5, task_retries: int = 0,
               task_failures: list[str] | None = None, window_start: str | None = WINDOW_START) -> dict:
    """The account DAG's tasks in order, as Airflow runs them: a task that fails is retried up to
    ``task_retries`` times with the same input, and ``fetch`` up to ``retries`` times while another
    import is running. Failures are appended to ``task_failures``. ``window_start`` None: from the
    account's watermark, as a scheduled run reads. Returns the last task's summary."""
    context = airflow_context(run_id, kind, alive_dir, window_start)
    original_context, original_batch = tasks._context, steps.BATCH
    tasks._context = lambda: context
    steps.BATCH = CRASH_BATCH  # small batches: the crash points fall between them
    if crash in INSIDE_POINTS or crash in SHIPMENT_POINTS:
        arm({**INSIDE_POINTS, **SHIPMENT_POINTS}[crash])
    failures = task_failures if task_failures is not None else []
    try:
        summary: dict = {}
        for name in TASKS:
            summary = _run_task(name, summary, retries, retry_delay_s, task_retries, failures)
            if crash == f"after_{name}":
                die()
        return summary
    finally:  # in-process callers (the soak) get the product's settings back
        tasks._context, steps.BATCH = original_context, original_batch


def _run_task(name: str, summary: dict, retries: int, retry_delay_s: float, task_retries: int,
              failures: list[str]) -> dict:
    refused = failed = 0
    while True:
        try:
            return tasks.fetch(ACCOUNT_ID) if name == "fetch" else getattr(tasks, name)(ACCOUNT_ID, summary)
        except ImportAlreadyRunning as error:
            refused += 1
            print(json.dumps({"refused": str(error), "attempt": refused}), flush=True)
            if refused > retries:
                raise
        except Exception as error:
            failed += 1
            failures.append(f"{name}: {type(error).__name__}: {error}")
            print(json.dumps({"task_failed": name, "error": failures[-1][:500]}), flush=True)
            if failed > task_retries or isinstance(error, AirflowFailException):  # as Airflow: no retry
                raise
        time.sleep(retry_delay_s)


def wait_for(path: Path, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear within {timeout_s:.0f} s")
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.crash_worker", description=__doc__)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--kind", choices=("manual", "scheduled", "pre-sync"), default="manual")
    parser.add_argument("--crash", choices=(*CRASH_POINTS, *SHIPMENT_POINTS))
    parser.add_argument("--alive-dir", type=Path)
    parser.add_argument("--wait-for", type=Path, help="start the import once this file exists (a start line)")
    parser.add_argument("--retries", type=int, default=0)
    parser.add_argument("--retry-delay", type=float, default=0.5)
    parser.add_argument("--task-retries", type=int, default=0, help="retries of a failed task, as Airflow's")
    parser.add_argument("--without-run-guard", action="store_true",
                        help="open no import-run record: imports of the account may overlap")
    args = parser.parse_args(argv)
    if args.without_run_guard:
        AccountImport.start = lambda self, *_args: self  # no run record
    marker = args.alive_dir / args.run_id if args.alive_dir else None
    if marker:
        marker.touch()
    if args.wait_for:
        wait_for(args.wait_for)
    try:
        summary = run_import(args.run_id, kind=args.kind, crash=args.crash, alive_dir=args.alive_dir,
                             retries=args.retries, retry_delay_s=args.retry_delay, task_retries=args.task_retries)
    except ImportAlreadyRunning:
        return REFUSED
    finally:
        if marker:
            marker.unlink(missing_ok=True)
    print(json.dumps({"summary": summary}, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
