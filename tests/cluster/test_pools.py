"""The gestionale's limit of 5 concurrent WebAPI requests holds across every worker.

Each task that talks to the gestionale runs up to 5 requests at once inside itself, so it
takes the one slot of the pool ``gestionale_webapi``: at most one such task runs at a time,
whatever the number of workers. Every pool a task names must exist, or the task never runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from amazon_passweb.gestionale.settings import MAX_CONCURRENCY
from sandbox.airflow_cluster import POOLS

ROOT = Path(__file__).resolve().parents[2]
GESTIONALE_TASKS = {"push_partial", "read_shipments", "sync"}
WEBAPI_LIMIT = 5  # concurrent requests per WebAPI user (docs/protocols.md)


@pytest.fixture(scope="module")
def dags():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert not bag.import_errors
    return bag.dags.values()


def test_gestionale_tasks_share_one_slot(dags):
    assert POOLS["gestionale_webapi"][0] * MAX_CONCURRENCY <= WEBAPI_LIMIT
    found = [(dag.dag_id, task.task_id, task.pool) for dag in dags for task in dag.tasks
             if task.task_id in GESTIONALE_TASKS]
    assert {task_id for _, task_id, _ in found} == GESTIONALE_TASKS
    assert all(pool == "gestionale_webapi" for *_, pool in found), found


def test_every_pool_a_task_names_is_created(dags):
    named = {task.pool for dag in dags for task in dag.tasks}
    assert named <= set(POOLS) | {"default_pool"}
