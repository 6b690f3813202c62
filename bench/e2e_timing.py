"""Where a cell's time went, from Airflow's own task instances.

Each account's run is a chain (fetch → select → reconcile → create_orders → push_partial →
read_shipments → confirm_shipments → report → advance_watermark), so every moment of a run is
either a task running or the gap before the next one starts. A gap splits into the three stages
Airflow records: upstream done → ``scheduled`` (the scheduler noticing), ``scheduled`` → ``queued``
(waiting for a free executor slot, or for tasks of the ``gestionale_webapi`` pool its one slot;
counted apart), ``queued`` → running (the executor starting the task process).

A task's own time splits too, from its log (JSON lines, one timestamp each): Airflow's
"Pre Execute" (loading the DAG bundle, parsing the DAG file) and "Post Execute" (pushing XComs)
are Airflow's overhead; between them is the product's work, the only part that talks to Amazon,
the gestionale or the site database.
"""

from __future__ import annotations

import contextlib
import json
import statistics
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

GAPS = ("to_scheduled", "waiting_for_executor_slot", "waiting_for_pool_slot", "queued_to_start")
POOL = "gestionale_webapi"  # the one-slot pool every account's gestionale tasks share


def moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def seconds(start: datetime | None, end: datetime | None) -> float:
    return max(0.0, (end - start).total_seconds()) if start and end else 0.0


def work_seconds(log: Path) -> float | None:
    """Seconds between the end of Airflow's "Pre Execute" and the start of its "Post Execute" in a task's
    log: the product's own work. None when the log is not there or not in that shape."""
    stamps: dict[str, datetime] = {}
    with contextlib.suppress(OSError):
        for line in log.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                entry = json.loads(line)
                event, stamp = entry.get("event") or "", moment(entry.get("timestamp"))
                if event == "::endgroup::" and "work_start" not in stamps:
                    stamps["work_start"] = stamp
                elif event == "::group::Post Execute":
                    stamps["work_end"] = stamp
    if "work_start" in stamps and "work_end" in stamps:
        return seconds(stamps["work_start"], stamps["work_end"])
    return None


def run_breakdown(run: dict, task_instances: list[dict], log_of: Callable[[dict], Path]
                  ) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """(seconds each task ran, of which its own work, seconds of each kind of gap) for one run."""
    ran: dict[str, float] = {}
    worked: dict[str, float] = {}
    gaps = dict.fromkeys(GAPS, 0.0)
    previous_end = moment(run["start_date"]) or moment(run["queued_at"])
    for ti in sorted(task_instances, key=lambda t: moment(t["start_date"]) or datetime.max.replace(tzinfo=UTC)):
        start, end = moment(ti["start_date"]), moment(ti["end_date"])
        if start is None:  # skipped or never ran: no time of its own
            continue
        ran[ti["task_id"]] = seconds(start, end)
        work = work_seconds(log_of(ti))
        worked[ti["task_id"]] = ran[ti["task_id"]] if work is None else min(work, ran[ti["task_id"]])
        scheduled, queued = moment(ti.get("scheduled_when")), moment(ti.get("queued_when"))
        # a retried task's scheduled/queued stamps are its last try's; fall back to the whole gap
        if scheduled and queued and previous_end and previous_end <= scheduled <= queued <= start:
            gaps["to_scheduled"] += seconds(previous_end, scheduled)
            slot = "waiting_for_pool_slot" if ti.get("pool") == POOL else "waiting_for_executor_slot"
            gaps[slot] += seconds(scheduled, queued)
            gaps["queued_to_start"] += seconds(queued, start)
        else:
            gaps["to_scheduled"] += seconds(previous_end, start)
        previous_end = max(previous_end, end) if previous_end and end else end
    return ran, worked, gaps


def cell_breakdown(runs: list[tuple[dict, list[dict]]], log_of: Callable[[dict], Path]) -> dict:
    """Per task id: summed and median seconds over the cell's runs, and the summed seconds of its own
    work; the gaps summed; run durations."""
    per_task: dict[str, list[float]] = defaultdict(list)
    work: dict[str, float] = defaultdict(float)
    gaps = dict.fromkeys(GAPS, 0.0)
    durations = []
    for run, task_instances in runs:
        ran, worked, run_gaps = run_breakdown(run, task_instances, log_of)
        for task_id, value in ran.items():
            per_task[task_id].append(value)
            work[task_id] += worked[task_id]
        for name, value in run_gaps.items():
            gaps[name] += value
        durations.append(seconds(moment(run["start_date"]), moment(run["end_date"])))
    return {
        "tasks": {task_id: {"sum_s": round(sum(values), 2), "median_s": round(statistics.median(values), 2),
                            "work_s": round(work[task_id], 2)} for task_id, values in per_task.items()},
        "gaps_s": {name: round(value, 2) for name, value in gaps.items()},
        "run_seconds": {"sum": round(sum(durations), 2), "median": round(statistics.median(durations), 2)},
    }
