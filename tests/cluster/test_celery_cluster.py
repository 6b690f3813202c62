"""CI stage: the docker-compose topology without Docker, end to end through Airflow's REST API.

PostgreSQL holds Airflow's metadata and, in a database of its own, the site;
Redis is the Celery broker; ``airflow api-server``, ``scheduler``, ``dag-processor``,
``triggerer`` and ``celery worker`` are separate processes. One account's import
runs, then ``site_gestionale_sync`` (which runs every account's import again, then
the sync); every Amazon order reaches the gestionale at most once, and every
order the site says it pushed is there.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from amazon_passweb.config import load_accounts
from tests.e2e.stack_queries import gestionale_documents

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(360)]

ACCOUNT_DAG = "amazon_orders__it_main"
SYNC_DAG = "site_gestionale_sync"
WINDOW_START = "2026-10-01T00:00:00Z"  # the generated orders are from October 2026


def test_import_then_sync_on_a_celery_cluster(cluster, stack, accounts_file):
    for account in load_accounts(accounts_file).importing_accounts:
        cluster.unpause(account.dag_id)
    cluster.unpause(SYNC_DAG)

    imported = _run(cluster, ACCOUNT_DAG, {"window_start": WINDOW_START}, timeout=150)
    assert imported["state"] == "success", _failure(cluster, imported)
    push = _task_instance(cluster, imported, "push_partial")
    assert (push["pool"], push["queue"]) == ("gestionale_webapi", cluster.celery_queue), "not run by the Celery worker"
    after_import = Counter(document["rif_nr_attuale"] for document in gestionale_documents(stack))
    assert after_import, "the account import pushed no order to the gestionale"

    synced = _run(cluster, SYNC_DAG, {}, timeout=180)
    assert synced["state"] == "success", _failure(cluster, synced)
    assert _task_instance(cluster, synced, "sync")["pool"] == "gestionale_webapi"
    assert cluster.api("GET", "/pools/gestionale_webapi").json()["slots"] == 1
    references = Counter(document["rif_nr_attuale"] for document in gestionale_documents(stack))
    twice = sorted(reference for reference, count in references.items() if count > 1)
    assert not twice, f"Amazon orders with more than one gestionale document: {twice[:10]}"
    assert set(after_import) <= set(references)
    assert _pushed_site_orders(stack.site_url) == set(references), "site and gestionale disagree on what was pushed"


def _run(cluster, dag_id: str, conf: dict, timeout: float) -> dict:
    run = cluster.trigger(dag_id, conf=conf)
    return cluster.wait_for_run(dag_id, run["dag_run_id"], timeout=timeout)


def _task_instance(cluster, run: dict, task_id: str) -> dict:
    answer = cluster.api("GET", f"/dags/{run['dag_id']}/dagRuns/{run['dag_run_id']}/taskInstances/{task_id}")
    answer.raise_for_status()
    return answer.json()


def _pushed_site_orders(site_url: str) -> set[str]:
    engine = create_engine(site_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT amazon_order_id FROM orders WHERE gestionale_document_key IS NOT NULL"))
            return {amazon_order_id for (amazon_order_id,) in rows}
    finally:
        engine.dispose()


def _failure(cluster, run: dict) -> str:
    """The run's task states and the end of each unsuccessful task's log."""
    dag_id, run_id = run["dag_id"], run["dag_run_id"]
    states = cluster.task_states(dag_id, run_id)
    lines = [f"{dag_id} {run_id}: {run['state']}; tasks: {states}"]
    logs = Path(cluster.env["AIRFLOW_HOME"]) / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}"
    for task_id, state in states.items():
        if state != "success":
            for log in sorted((logs / f"task_id={task_id}").glob("*.log")):
                lines.append(f"--- {log.name} of {task_id} ---\n{log.read_text(errors='replace')[-2500:]}")
    return "\n".join(lines)
