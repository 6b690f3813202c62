"""Where a cell's time went, from Airflow's own task instances.

Each account's run is a chain (fetch → select → reconcile → create_orders → push_partial →
read_shipments → confirm_shipments → report → advance_watermark), so every moment of a run is
either a task running or the gap before the next one starts. A gap splits into the three stages
Airflow records: upstream done → ``scheduled`` (the scheduler noticing), ``scheduled`` → ``queued``
(waiting for a free executor slot or a pool slot: ``gestionale_webapi`` has one), ``queued`` →
running (the executor starting the task process).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, datetime

GAPS = ("to_scheduled", "waiting_for_slot", "queued_to_start")


def moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def seconds(start: datetime | None, end: datetime | None) -> float:
    return max(0.0, (end - start).total_seconds()) if start and end else 0.0


def run_breakdown(run: dict, task_instances: list[dict]) -> tuple[dict[str, float], dict[str, float]]:
    """(seconds each task ran, seconds of each kind of gap) for one run."""
    ran: dict[str, float] = {}
    gaps = dict.fromkeys(GAPS, 0.0)
    previous_end = moment(run["start_date"]) or moment(run["queued_at"])
    for ti in sorted(task_instances, key=lambda t: moment(t["start_date"]) or datetime.max.replace(tzinfo=UTC)):
        start, end = moment(ti["start_date"]), moment(ti["end_date"])
        if start is None:  # skipped or never ran: no time of its own
            continue
        ran[ti["task_id"]] = seconds(start, end)
        scheduled, queued = moment(ti.get("scheduled_when")), moment(ti.get("queued_when"))
        # a retried task's scheduled/queued stamps are its last try's; fall back to the whole gap
        if scheduled and queued and previous_end and previous_end <= scheduled <= queued <= start:
            gaps["to_scheduled"] += seconds(previous_end, scheduled)
            gaps["waiting_for_slot"] += seconds(scheduled, queued)
            gaps["queued_to_start"] += seconds(queued, start)
        else:
            gaps["to_scheduled"] += seconds(previous_end, start)
        previous_end = max(previous_end, end) if previous_end and end else end
    return ran, gaps


def cell_breakdown(runs: list[tuple[dict, list[dict]]]) -> dict:
    """Per task id: summed and median seconds over the cell's runs; the gaps summed; run durations."""
    per_task: dict[str, list[float]] = defaultdict(list)
    gaps = dict.fromkeys(GAPS, 0.0)
    durations = []
    for run, task_instances in runs:
        ran, run_gaps = run_breakdown(run, task_instances)
        for task_id, value in ran.items():
            per_task[task_id].append(value)
        for name, value in run_gaps.items():
            gaps[name] += value
        durations.append(seconds(moment(run["start_date"]), moment(run["end_date"])))
    return {
        "tasks": {task_id: {"sum_s": round(sum(values), 2), "median_s": round(statistics.median(values), 2)}
                  for task_id, values in per_task.items()},
        "gaps_s": {name: round(value, 2) for name, value in gaps.items()},
        "run_seconds": {"sum": round(sum(durations), 2), "median": round(statistics.median(durations), 2)},
    }
