"""``site_gestionale_sync`` through a real Airflow cluster (scheduler, triggerer, LocalExecutor).

One cluster, two runs of the sync DAG against both stand-ins:

1. a *total* sync: it_main's Amazon import succeeds, eu_de_fr's fails (its connection holds a
   wrong LWA secret). Every import ends before the sync's first write (recorded timestamps),
   the sync carries it_main's new orders into the gestionale, is counted, and its report names
   eu_de_fr;
2. a *changed* sync with the month's quota (1) used up: refused, not counted, the task fails
   with the reason, and the refusal email arrives.

Task retries are switched off by a cluster policy, so the failing import ends in seconds rather
than after the account DAG's two one-minute retries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select
from sync_builders import STORED, read_emails

from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE, load_accounts
from amazon_passweb.importer.run_outcomes import PUSHED
from amazon_passweb.orchestration.sync_dag import SYNC_DAG_ID, pre_sync_run_id
from amazon_passweb.site.models import SyncRun
from amazon_passweb.site.states import OrderState
from sandbox.airflow_cluster import LocalAirflow
from sandbox.stack import LocalStack

pytestmark = pytest.mark.slow
WATERMARK = datetime(2026, 10, 31, tzinfo=UTC)  # the last generated day: a handful of orders
ROME = ZoneInfo("Europe/Rome")
NO_RETRIES = "def task_policy(task):\n    task.retries = 0\n"


@dataclass
class SyncRunSeen:
    run: dict  # the sync DAG run, as the REST API gives it
    tasks: dict[str, str]
    account_runs: dict[str, dict]  # account id → its triggered DAG run


@dataclass
class ClusterResult:
    stack: LocalStack
    accounts_file: object
    total: SyncRunSeen
    refused: SyncRunSeen


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> ClusterResult:
    raw = yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text())
    raw.update(sync_schedule="none", monthly_sync_quota=1)
    for account in raw["accounts"]:
        account["schedule"] = "none"  # only the sync DAG starts the imports
    accounts_file = tmp_path_factory.mktemp("config") / "accounts.yaml"
    accounts_file.write_text(yaml.safe_dump(raw))
    accounts = load_accounts(accounts_file)

    with LocalStack(tmp_path_factory.mktemp("stack"), accounts_file=accounts_file,
                    amazon_args=["--generate", "300", "--seed", "7"]) as stack:
        from sandbox.demo import prepare_site

        prepare_site(stack)
        store = stack.open_site_store()
        with store.unit_of_work() as uow:
            for account in accounts.importing_accounts:
                uow.accounts.set_watermark(account.id, WATERMARK, set_by="test")
        store.dispose()
        env = stack.airflow_env()
        broken = accounts.account("eu_de_fr").sp_api_conn_id.upper()
        connection = json.loads(env[f"AIRFLOW_CONN_{broken}"])
        env[f"AIRFLOW_CONN_{broken}"] = json.dumps({**connection, "password": "not-the-secret"})

        workdir = tmp_path_factory.mktemp("cluster")
        (workdir / "airflow-cluster" / "config").mkdir(parents=True)
        (workdir / "airflow-cluster" / "config" / "airflow_local_settings.py").write_text(NO_RETRIES)
        with LocalAirflow(workdir, env=env) as airflow:
            for dag_id in [SYNC_DAG_ID, *(a.dag_id for a in accounts.importing_accounts)]:
                airflow.unpause(dag_id)
            total = _run_sync(airflow, accounts, "total")
            refused = _run_sync(airflow, accounts, "changed")
        yield ClusterResult(stack, accounts_file, total, refused)


def _run_sync(airflow: LocalAirflow, accounts, sync_type: str) -> SyncRunSeen:
    run_id = airflow.trigger(SYNC_DAG_ID, conf={"sync_type": sync_type})["dag_run_id"]
    run = airflow.wait_for_run(SYNC_DAG_ID, run_id, timeout=420)
    account_runs = {}
    for account in accounts.importing_accounts:
        wanted = pre_sync_run_id(run_id, account.id)
        account_runs[account.id] = next(r for r in airflow.runs(account.dag_id) if r["dag_run_id"] == wanted)
    return SyncRunSeen(run, airflow.task_states(SYNC_DAG_ID, run_id), account_runs)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _sync_runs(store, run_id: str) -> list[dict]:
    with store.engine.connect() as conn:
        table = SyncRun.__table__
        return [dict(r._mapping) for r in conn.execute(select(table).where(table.c.run_id == run_id))]


def test_every_import_ends_before_the_sync_writes(cluster):
    seen = cluster.total
    assert seen.tasks == {"trigger__it_main": "success", "import__it_main": "success",
                          "trigger__eu_de_fr": "success", "import__eu_de_fr": "failed", "sync": "success"}, seen
    store = cluster.stack.open_site_store()
    try:
        [sync_run] = _sync_runs(store, seen.run["dag_run_id"])
        with store.unit_of_work(read_only=True) as uow:
            [it_main_import] = [r for r in uow.imports.recent("it_main")
                                if r.run_id == seen.account_runs["it_main"]["dag_run_id"]]
            pushes = [h for h in uow.inbox.run_history("it_main", seen.run["dag_run_id"]) if h.outcome == PUSHED]
    finally:
        store.dispose()

    imports_ended = [_moment(r["end_date"]) for r in seen.account_runs.values()] + [it_main_import.finished_at]
    assert pushes, "the sync pushed it_main's new orders"
    first_write = min([sync_run["started_at"], *(h.at for h in pushes)])
    assert first_write == sync_run["started_at"]
    assert max(imports_ended) < first_write, (imports_ended, first_write)
    assert (sync_run["sync_type"], sync_run["outcome"], sync_run["counted"]) == ("total", "success", True)


def test_a_failed_account_import_leaves_the_others_synced(cluster):
    seen = cluster.total
    assert {a: r["state"] for a, r in seen.account_runs.items()} == {"it_main": "success", "eu_de_fr": "failed"}
    store = cluster.stack.open_site_store()
    try:
        with store.unit_of_work(read_only=True) as uow:
            created = uow.orders.by_state(OrderState.MEMORIZZATO, account="it_main", limit=1000)
            waiting = uow.orders.by_state(OrderState.REGISTRATO, account="it_main", limit=1000)
            pushed_by_sync = {h.amazon_order_id for h in uow.inbox.run_history("it_main", seen.run["dag_run_id"])
                              if h.outcome == PUSHED}
    finally:
        store.dispose()
    assert created and not waiting
    assert {o.amazon_order_id for o in created} == pushed_by_sync, "the import left them to the sync"
    assert all(o.state.value == STORED for o in created)

    reports = [m for m in read_emails(cluster.stack.mail.directory) if "Sincronizzazione totale" in m["Subject"]]
    [report] = reports
    assert "completata" in report["Subject"] and "importazione Amazon non riuscita: eu_de_fr" in report["Subject"]
    body = report.get_body(("plain",)).get_content()
    assert "eu_de_fr (Amazon Germania e Francia): importazione Amazon NON RIUSCITA (esito: non riuscita" in body
    assert f"it_main (Amazon Italia - negozio principale): importazione Amazon completata; {len(created)}" in body


def test_the_sync_past_the_quota_is_refused(cluster):
    seen = cluster.refused
    assert seen.run["state"] == "failed"
    assert seen.tasks["sync"] == "failed" and seen.tasks["import__it_main"] == "success"
    store = cluster.stack.open_site_store()
    try:
        runs = {r["sync_type"]: r for r in _sync_runs(store, seen.run["dag_run_id"])}
        with store.unit_of_work(read_only=True) as uow:
            quota = uow.syncs.quota(runs["changed"]["started_at"].astimezone(ROME).date(), 1)
    finally:
        store.dispose()
    assert (runs["changed"]["outcome"], runs["changed"]["counted"]) == ("failed", False)
    assert "quota mensile esaurita" in runs["changed"]["message"]
    assert (runs["partial"]["outcome"], runs["partial"]["counted"]) == ("success", False)
    assert (quota.used, quota.available) == (1, 0)
    [refusal] = [m for m in read_emails(cluster.stack.mail.directory) if "per variati" in m["Subject"]]
    assert "RIFIUTATA (quota mensile esaurita)" in refusal["Subject"]
