"""A missed period is recovered with `airflow backfill` through a real scheduler, and nothing is imported twice.

The site's watermark says orders were read up to 20 October; 10–12 October were
missed. A regular run reads from the watermark; a backfill reads its own data
intervals, imports exactly what was missed there and leaves the watermark alone;
a second, overlapping backfill imports nothing twice.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from amazon_passweb.importer.window import OVERLAP
from sandbox.airflow_cluster import LocalAirflow
from tests.e2e.conftest import ORDERS, SEED
from tests.e2e.stack_queries import gestionale_documents, moment, site_orders, site_watermark, wanted_orders
from tests.fixtures.postgres import postgres_database

pytestmark = pytest.mark.slow
DAG = "amazon_orders__it_main"
WATERMARK = datetime(2026, 10, 20, tzinfo=UTC)


def _backfill(airflow, start: str, end: str, reprocess: str = "none") -> list[dict]:
    before = {run["dag_run_id"] for run in airflow.runs(DAG)}
    answer = airflow.api("POST", "/backfills", json={
        "dag_id": DAG, "from_date": start, "to_date": end, "max_active_runs": 1, "reprocess_behavior": reprocess})
    assert answer.status_code == 200, answer.text
    deadline = datetime.now(UTC) + timedelta(minutes=10)
    while datetime.now(UTC) < deadline:
        runs = [r for r in airflow.runs(DAG) if r["run_type"] == "backfill"]
        fresh = [r for r in runs if r["dag_run_id"] not in before or r["state"] not in ("success", "failed")]
        if fresh and all(r["state"] in ("success", "failed") for r in runs) and not _active_backfill(airflow):
            return [r for r in airflow.runs(DAG) if r["run_type"] == "backfill"]
        time.sleep(3)
    raise TimeoutError("the backfill did not finish")


def _active_backfill(airflow) -> bool:
    answer = airflow.api("GET", "/backfills", params={"dag_id": DAG})
    return any(b.get("completed_at") is None for b in answer.json().get("backfills", []))


def test_backfill_imports_the_missed_period_once(stack, accounts_file, tmp_path_factory):
    store = stack.open_site_store()
    with store.unit_of_work() as uow:
        uow.accounts.set_watermark("it_main", WATERMARK, set_by="test")
    store.dispose()
    wanted = wanted_orders(accounts_file, "it_main", ORDERS, SEED)

    # Airflow's metadata on PostgreSQL: on SQLite the scheduler's writes can refuse a backfill request
    with postgres_database("backfill_meta") as metadata, LocalAirflow(
        tmp_path_factory.mktemp("cluster"), env=stack.airflow_env(), metadata_url=metadata
    ) as airflow:
        airflow.unpause(DAG)
        regular = airflow.wait_for_runs(DAG, 1, timeout=600)
        assert [r["state"] for r in regular] == ["success"], airflow.task_states(DAG, regular[0]["dag_run_id"])
        after_regular = set(site_orders(stack))
        assert after_regular == {oid for oid, updated in wanted.items() if updated >= WATERMARK - OVERLAP}
        watermark = site_watermark(stack, "it_main")
        assert watermark > WATERMARK

        runs = _backfill(airflow, "2026-10-10T00:00:00Z", "2026-10-12T00:00:00Z")
        assert runs and all(r["state"] == "success" for r in runs), runs
        start = min(moment(r["data_interval_start"]) for r in runs)
        end = max(moment(r["data_interval_end"]) for r in runs)
        missed = {oid for oid, updated in wanted.items() if start <= updated < end}
        assert missed, "the chosen period must contain orders"
        assert set(site_orders(stack)) == after_regular | missed
        assert site_watermark(stack, "it_main") == watermark, "a backfill never moves the watermark back"

        again = _backfill(airflow, "2026-10-11T00:00:00Z", "2026-10-13T00:00:00Z", reprocess="completed")
        assert all(r["state"] == "success" for r in again), again
        end = max(moment(r["data_interval_end"]) for r in again)
        missed |= {oid for oid, updated in wanted.items() if start <= updated < end}
        assert set(site_orders(stack)) == after_regular | missed
        references = Counter(document["rif_nr_attuale"] for document in gestionale_documents(stack))
        assert references and max(references.values()) == 1, "no Amazon order has two gestionale documents"
        assert site_watermark(stack, "it_main") == watermark
