"""Benchmark: orders per hour from Amazon to "Memorizzato" through the real account DAGs and scheduler.

    python -m bench.e2e_airflow [--quick] [--repeats R] [--executors LocalExecutor,CeleryExecutor]

A cell is (executor, N accounts). Each cell starts its own services (``bench/e2e_stack.py``: an
SP-API stand-in per account, one shared gestionale stand-in answering after ``--gestionale-latency-ms``,
the site and Airflow's metadata on PostgreSQL, Airflow's api-server, scheduler, dag-processor and
triggerer), seeds K orders per account, then triggers every ``amazon_orders__<account>`` DAG at once
and waits until every run has finished. Start-up is not timed: the clock runs from the first trigger
to the last run's end. Every account uses the same gestionale WebAPI user, so all their gestionale
tasks share the one slot of Airflow's ``gestionale_webapi`` pool.

K is 50 orders per account in both profiles (the full one adds the 100-account cell): one account's
run takes under a minute, and K stays below Amazon's initial burst (20 searchOrders pages of 100),
so each seller's sustained rate is a ceiling to compare with, not a limit the run meets. K cannot
make the larger cells short: every run is nine task processes (about 5-10 s each on 2 cores) and
every push waits for the one gestionale slot, so 10 accounts take about 5 minutes and 100 accounts
(900 tasks, 5,000 orders) the better part of an hour. Airflow's start-up per cell (about a minute)
is extra and not timed. The CeleryExecutor cells run when Redis answers on 127.0.0.1:6379 and the
Celery provider is installed (as for tests/cluster), else they are left out and the result says so.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sqlite3
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from bench.e2e_stack import REDIS_URL, WINDOW_START, Cell, running_cell
from bench.e2e_timing import GAPS, cell_breakdown, moment
from bench.samples import interleaved, spread, spread_text

PROFILES = {"quick": {"accounts": (1, 10), "orders": 50, "timeout_s": 1800},
            "full": {"accounts": (1, 10, 100), "orders": 50, "timeout_s": 3 * 3600}}
# Amazon's default usage plans, sustained after the initial burst (docs/protocols.md):
AMAZON_V2026_PER_HOUR = 2_016  # searchOrders 0.0056 requests/s × 100 orders a page
AMAZON_V0_PER_HOUR = 1_800  # getOrderItems 0.5 requests/s, one call per order
AMAZON_BURST_ORDERS = 20 * 100  # searchOrders burst of 20 pages
WEBAPI_IN_FLIGHT = 5  # requests in flight per gestionale WebAPI user
GESTIONALE_LATENCY_MS = 100.0
MEMORIZZATO = "Memorizzato"


def measure_cell(executor: str, accounts: int, orders_per_account: int, latency_ms: float,
                 timeout_s: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        print(f"  {executor}, {accounts} account(s): starting services and Airflow", flush=True)
        with running_cell(Path(tmp), accounts, orders_per_account, executor=executor,
                          gestionale_latency_ms=latency_ms) as cell:
            began = datetime.now(UTC)
            run_ids = {dag_id: cell.airflow.trigger(dag_id, conf={"window_start": WINDOW_START})["dag_run_id"]
                       for dag_id in cell.dag_ids}
            print(f"  triggered {len(run_ids)} run(s), {orders_per_account} orders each", flush=True)
            runs = wait_for_runs(cell, run_ids, timeout_s)
            timed = [(run, task_instances(cell, run)) for run in runs]
            return summarise(cell, began, timed, executor, orders_per_account, latency_ms)


def wait_for_runs(cell: Cell, run_ids: dict[str, str], timeout_s: float) -> list[dict]:
    pending, done = dict(run_ids), []
    deadline = time.monotonic() + timeout_s
    while pending:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(pending)} run(s) not finished after {timeout_s:.0f} s: {sorted(pending)[:5]}")
        for dag_id, run_id in list(pending.items()):
            run = cell.airflow.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}").json()
            if run.get("state") in ("success", "failed"):
                done.append(run)
                del pending[dag_id]
        if pending:
            time.sleep(2)
    return done


def task_instances(cell: Cell, run: dict) -> list[dict]:
    answer = cell.airflow.api("GET", f"/dags/{run['dag_id']}/dagRuns/{run['dag_run_id']}/taskInstances")
    answer.raise_for_status()
    return answer.json()["task_instances"]


def outcome(cell: Cell) -> tuple[Counter, dict[str, str], dict]:
    """(documents per Amazon order in the gestionale, site state per order, the gestionale's request stats)."""
    with contextlib.closing(sqlite3.connect(cell.stack.workdir / "gestionale" / "gestionale.sqlite3")) as db:
        rows = db.execute("SELECT data FROM documenti").fetchall()
    documents = Counter(json.loads(data).get("rif_nr_attuale") for (data,) in rows)
    engine = create_engine(cell.stack.site_url)
    try:
        with engine.connect() as db:
            states = dict(db.execute(text("SELECT amazon_order_id, state FROM orders")).all())
    finally:
        engine.dispose()
    counts = requests.get(f"http://127.0.0.1:{cell.stack.gestionale_port}/_sandbox/counts", timeout=30).json()
    return documents, states, counts["stats"]


class Sample(dict):
    """One cell's measurement: a plain dict (JSON) that prints as one short progress line."""

    def __repr__(self) -> str:
        return (f"{self['stored']}/{self['seeded']} stored in {self['wall_s']} s = {self['orders_per_hour']:,}/h, "
                f"{self['duplicate_documents']} duplicated, {self['lost_orders']} lost, "
                f"{self['runs_failed']} failed runs")


def summarise(cell: Cell, began: datetime, timed: list[tuple[dict, list[dict]]], executor: str,
              orders_per_account: int, latency_ms: float) -> Sample:
    documents, states, stats = outcome(cell)
    seeded = {order["orderId"] for orders in cell.orders.values() for order in orders}
    stored = {oid for oid in seeded if documents.get(oid) and states.get(oid) == MEMORIZZATO}
    ended = max(moment(run["end_date"]) for run, _ in timed)
    wall = (ended - began).total_seconds()
    logs = cell.airflow.workdir / "airflow-cluster" / "logs"
    breakdown = cell_breakdown(timed, lambda ti: logs / f"dag_id={ti['dag_id']}" / f"run_id={ti['dag_run_id']}"
                               / f"task_id={ti['task_id']}" / f"attempt={ti['try_number']}.log")
    accounts = len(cell.orders)
    push_s = breakdown["tasks"].get("push_partial", {}).get("sum_s", 0.0)
    # the pool's one slot is held by every account's gestionale tasks in turn
    pool_busy = sum(breakdown["tasks"].get(task, {}).get("sum_s", 0.0) for task in GESTIONALE_TASKS)
    per_order = stats.get("requests", 0) / len(stored) if stored else 0.0
    return Sample({
        "executor": executor, "accounts": accounts, "orders_per_account": orders_per_account,
        "seeded": len(seeded), "stored": len(stored), "wall_s": round(wall, 1),
        "orders_per_hour": round(len(stored) / wall * 3600) if wall else 0,
        "runs_failed": sum(run["state"] != "success" for run, _ in timed),
        "duplicate_documents": sum(n - 1 for oid, n in documents.items() if oid in seeded and n > 1),
        "lost_orders": len(seeded - stored),
        "breakdown": breakdown, "pool_busy_s": round(pool_busy, 1),
        "gestionale": {"latency_ms": latency_ms, "requests": stats.get("requests", 0),
                       "requests_per_order": round(per_order, 2), "peak_in_flight": stats.get("peak_in_flight", 0),
                       "busy_503": stats.get("busy_503", 0)},
        "ceilings_per_hour": {
            "amazon": accounts * AMAZON_V2026_PER_HOUR,
            # 5 requests in flight, each taking the configured latency, shared by every account
            "gestionale_webapi": round(WEBAPI_IN_FLIGHT / (latency_ms / 1000) * 3600 / per_order)
            if per_order and latency_ms else None,
            # what the pushes achieved while they held the pool's one slot
            "gestionale_pushing": round(len(stored) / push_s * 3600) if push_s else None,
        },
    })


def celery_missing() -> str | None:
    """Why the CeleryExecutor cannot run here, or None: the broker and packages tests/cluster needs."""
    import importlib.util

    from tests.fixtures.broker import NEEDED

    missing = [package for module, package in NEEDED.items() if importlib.util.find_spec(module) is None]
    if missing:
        return f"not installed: {', '.join(missing)}"
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"Redis at {REDIS_URL} not reachable: {exc}"
    finally:
        client.close()
    return None


def run_section(profile: str, repeats: int, executors: tuple[str, ...] | None = None,
                latency_ms: float = GESTIONALE_LATENCY_MS) -> dict:
    """``executors``: by default the LocalExecutor, and the CeleryExecutor where its broker is there."""
    settings = PROFILES[profile]
    left_out = {}
    if executors is None:
        executors = ("LocalExecutor",)
        if (reason := celery_missing()) is None:
            executors += ("CeleryExecutor",)
        else:
            left_out["CeleryExecutor"] = reason
    cells = {f"{executor} × {n}": (lambda e=executor, n=n: measure_cell(
        e, n, settings["orders"], latency_ms, settings["timeout_s"])) for executor in executors
        for n in settings["accounts"]}
    print(f"End to end through Airflow ({profile}): {', '.join(cells)}; {repeats} round(s)", flush=True)
    samples = interleaved(cells, repeats, progress=lambda line: print(line, flush=True))
    results = [cell_result(name, values) for name, values in samples.items()]
    return {"profile": profile, "orders_per_account": settings["orders"], "gestionale_latency_ms": latency_ms,
            "cells": results, "targets": targets(results), "left_out": left_out}


def cell_result(name: str, values: list[dict]) -> dict:
    """The cell's spread of orders per hour, its worst exactly-once figures, and its median sample's detail."""
    by_rate = sorted(values, key=lambda v: v["orders_per_hour"])
    return {"cell": name, **by_rate[len(by_rate) // 2], "samples": values,
            "orders_per_hour_spread": spread([v["orders_per_hour"] for v in values], 0),
            "duplicate_documents": max(v["duplicate_documents"] for v in values),
            "lost_orders": max(v["lost_orders"] for v in values)}


def targets(cells: list[dict]) -> list[dict]:
    found = []
    for c in cells:
        ceiling = min(v for v in (c["ceilings_per_hour"]["amazon"], c["ceilings_per_hour"]["gestionale_webapi"]) if v)
        found.append({"name": f"{c['cell']}: at least the lower ceiling ({ceiling:,}/h: Amazon × accounts or the "
                              f"gestionale WebAPI)", "met": c["orders_per_hour_spread"]["median"] >= ceiling,
                      "detail": f"{c['orders_per_hour_spread']['median']:,.0f}/h"})
    found.append({"name": "0 duplicate documents", "met": all(c["duplicate_documents"] == 0 for c in cells),
                  "detail": ", ".join(f"{c['cell']}: {c['duplicate_documents']}" for c in cells)})
    found.append({"name": "0 lost orders", "met": all(c["lost_orders"] == 0 and c["runs_failed"] == 0 for c in cells),
                  "detail": ", ".join(f"{c['cell']}: {c['lost_orders']} lost, {c['runs_failed']} failed runs"
                                      for c in cells)})
    return found


# -- markdown ------------------------------------------------------------------------------------------

AMAZON_TASKS = ("fetch", "confirm_shipments")
GESTIONALE_TASKS = ("push_partial", "read_shipments")
TASK_ORDER = ("fetch", "select", "reconcile", "create_orders", "push_partial", "read_shipments",
              "confirm_shipments", "report", "advance_watermark")


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _rate(value: float | None) -> str:
    return f"{value:,.0f}" if value else "–"


def render_section(result: dict) -> list[str]:
    cells = result["cells"]
    lines = ["### End to end through Airflow", "",
             f"Real account DAGs, real scheduler; {result['orders_per_account']} orders per account (one Amazon "
             f"seller each), every account on one gestionale WebAPI user (pool `gestionale_webapi`, 1 slot), "
             f"gestionale latency {result['gestionale_latency_ms']:g} ms. Timed from the first trigger to the last "
             f"run's end; Airflow's start-up not included.", "",
             "| cell | orders stored | wall s | orders/hour | Amazon ceiling/h | gestionale ceiling/h "
             "| while pushing/h | duplicates | lost |",
             "|---|---|---|---|---|---|---|---|---|"]
    for c in cells:
        ceilings = c["ceilings_per_hour"]
        lines.append(f"| {c['cell']} | {c['stored']:,}/{c['seeded']:,} | {c['wall_s']} | "
                     f"{spread_text(c['orders_per_hour_spread'])} | {_rate(ceilings['amazon'])} | "
                     f"{_rate(ceilings['gestionale_webapi'])} | {_rate(ceilings['gestionale_pushing'])} | "
                     f"{c['duplicate_documents']} | {c['lost_orders']} |")
    lines += ["", "Per task: seconds summed over the cell's runs / median per run / summed seconds of the "
              "product's own work (the rest is Airflow's pre and post execute):", "",
              "| task | " + " | ".join(c["cell"] for c in cells) + " |", "|---|" + "---|" * len(cells)]
    for task in TASK_ORDER:
        found = [c["breakdown"]["tasks"].get(task) for c in cells]
        row = [f"{t['sum_s']:g} / {t['median_s']:g} / {t['work_s']:g}" if t else "–" for t in found]
        lines.append(f"| {task} | " + " | ".join(row) + " |")
    for gap in GAPS:
        lines.append(f"| *gap: {gap.replace('_', ' ')}* | " + " | ".join(
            f"{c['breakdown']['gaps_s'][gap]:g}" for c in cells) + " |")
    lines += [f"- {executor} left out: {reason}" for executor, reason in result.get("left_out", {}).items()]
    lines += ["", *[f"- {t['name']}: {_mark(t['met'])} ({t['detail']})" for t in result["targets"]], ""]
    lines += ["Where the time goes:", "", *[f"- {line}" for c in cells for line in where_the_time_goes(c)], ""]
    return lines


def where_the_time_goes(c: dict) -> list[str]:
    """Shares of the cell's run-seconds (every run's duration, summed): tasks by service, and gaps."""
    tasks, gaps = c["breakdown"]["tasks"], c["breakdown"]["gaps_s"]
    total = c["breakdown"]["run_seconds"]["sum"] or 1.0

    def share(seconds: float) -> str:
        return f"{seconds:,.0f} s ({seconds / total:.0%})"

    amazon = sum(tasks.get(t, {}).get("work_s", 0) for t in AMAZON_TASKS)
    gestionale = sum(tasks.get(t, {}).get("work_s", 0) for t in GESTIONALE_TASKS)
    site = sum(v["work_s"] for t, v in tasks.items() if t not in AMAZON_TASKS + GESTIONALE_TASKS)
    in_task_overhead = sum(v["sum_s"] - v["work_s"] for v in tasks.values())
    g = c["gestionale"]
    parts = {"Airflow between tasks (scheduling, slots, process start)": sum(gaps.values()),
             "Airflow inside tasks (DAG bundle and parse, XCom push)": in_task_overhead,
             "Amazon calls": amazon, "gestionale calls": gestionale, "site database and the rest": site}
    largest = max(parts, key=parts.get)
    # the LocalExecutor queues a task before one of its worker processes is free to take it
    local_note = " (includes waiting for a LocalExecutor worker process)" if c["executor"] == "LocalExecutor" else ""
    return [
        f"{c['cell']}: most of the time is {largest}, {parts[largest] / total:.0%} of the run-seconds.",
        f"{c['cell']}: {total:,.0f} run-seconds: scheduler noticing a task is ready {share(gaps['to_scheduled'])}, "
        f"waiting for an executor slot {share(gaps['waiting_for_executor_slot'])}, for the gestionale pool's "
        f"slot {share(gaps['waiting_for_pool_slot'])}, task process start "
        f"{share(gaps['queued_to_start'])}{local_note}; "
        f"inside tasks: Airflow's pre/post execute {share(in_task_overhead)}, "
        f"the product's work talking to Amazon {share(amazon)}, to the gestionale {share(gestionale)}, "
        f"to the site database (and the rest) {share(site)}.",
        f"{c['cell']}: the gestionale pool's one slot was held {c['pool_busy_s']:,.0f} s of the {c['wall_s']:,.0f} s "
        f"wall ({c['pool_busy_s'] / c['wall_s']:.0%}) by push_partial and read_shipments, Airflow's pre/post "
        f"execute included; gestionale {g['requests']:,} requests ({g['requests_per_order']:g} per stored order), "
        f"peak {g['peak_in_flight']} in flight of {WEBAPI_IN_FLIGHT}, {g['busy_503']} refused as busy; "
        f"Amazon: {c['orders_per_account']} orders per seller fit in the initial burst of {AMAZON_BURST_ORDERS:,}, "
        f"so no rate-limit wait (sustained: {AMAZON_V2026_PER_HOUR:,}/h per seller on v2026, {AMAZON_V0_PER_HOUR:,}/h "
        f"on v0).",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.e2e_airflow", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 and 10 accounts (full: 1, 10, 100), 50 orders each")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--executors", help="comma-separated: LocalExecutor,CeleryExecutor (default: both, "
                        "Celery only where Redis answers)")
    parser.add_argument("--gestionale-latency-ms", type=float, default=GESTIONALE_LATENCY_MS)
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args(argv)
    executors = tuple(args.executors.split(",")) if args.executors else None
    result = run_section("quick" if args.quick else "full", args.repeats, executors, args.gestionale_latency_ms)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print("\n".join(render_section(result)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
