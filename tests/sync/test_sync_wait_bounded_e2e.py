"""The sync never waits for ever on an account import (real cluster: scheduler, triggerer, LocalExecutor).

1. eu_de_fr's DAG is paused: it is not triggered, the sync goes on with it_main and its email
   names eu_de_fr as paused;
2. with ``import_wait_minutes`` shorter than any import, the wait gives up, the sync goes on and
   its email says it_main's import had not ended in time.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml
from sync_builders import read_emails

from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE, load_accounts
from amazon_passweb.orchestration.sync_dag import SYNC_DAG_ID
from sandbox.airflow_cluster import LocalAirflow
from sandbox.stack import LocalStack

pytestmark = pytest.mark.slow
WATERMARK = datetime(2026, 10, 31, tzinfo=UTC)
NO_RETRIES = "def task_policy(task):\n    task.retries = 0\n"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    raw = yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text())
    raw.update(sync_schedule="none", monthly_sync_quota=10)
    for account in raw["accounts"]:
        account["schedule"] = "none"
    accounts_file = tmp_path_factory.mktemp("config") / "accounts.yaml"
    accounts_file.write_text(yaml.safe_dump(raw))
    accounts = load_accounts(accounts_file)
    with LocalStack(
        tmp_path_factory.mktemp("stack"), accounts_file=accounts_file, amazon_args=["--generate", "100", "--seed", "7"]
    ) as stack:
        from sandbox.demo import prepare_site

        prepare_site(stack)
        store = stack.open_site_store()
        with store.unit_of_work() as uow:
            for account in accounts.importing_accounts:
                uow.accounts.set_watermark(account.id, WATERMARK, set_by="test")
        store.dispose()
        workdir = tmp_path_factory.mktemp("cluster")
        (workdir / "airflow-cluster" / "config").mkdir(parents=True)
        (workdir / "airflow-cluster" / "config" / "airflow_local_settings.py").write_text(NO_RETRIES)
        # The scheduler looks for expired waits every second (default 15 s): the late run's wait then
        # gives up before the trigger's next poll (10 s) could see even a quick import end.
        with LocalAirflow(workdir, env=stack.airflow_env(),
                          extra_env={"AIRFLOW__SCHEDULER__TRIGGER_TIMEOUT_CHECK_INTERVAL": "1"}) as airflow:
            for dag_id in (SYNC_DAG_ID, accounts.account("it_main").dag_id):
                airflow.unpause(dag_id)
            airflow.wait_for_dag(accounts.account("eu_de_fr").dag_id)  # parsed, and paused at creation
            seen = {}
            for name, conf in (("paused", {}), ("late", {"import_wait_minutes": 0.05})):
                run_id = airflow.trigger(SYNC_DAG_ID, conf=conf)["dag_run_id"]
                run = airflow.wait_for_run(SYNC_DAG_ID, run_id, timeout=300)
                seen[name] = (run, airflow.task_states(SYNC_DAG_ID, run_id))
            emails = read_emails(stack.mail.directory)
        yield seen, emails


def _sync_email(emails, run_index):
    sync_emails = [m for m in emails if "Sincronizzazione" in m["Subject"]]
    return sync_emails[run_index]


def test_a_paused_account_is_not_waited_for_and_is_named(runs):
    seen, emails = runs
    run, tasks = seen["paused"]
    assert run["state"] == "success", tasks
    assert tasks["import__it_main"] == "success" and tasks["sync"] == "success"
    assert tasks["trigger__eu_de_fr"] == "failed" and tasks["import__eu_de_fr"] == "upstream_failed"
    report = _sync_email(emails, 0)
    assert "eu_de_fr" in report["Subject"] and "it_main" not in report["Subject"]
    body = report.get_body(("plain",)).get_content()
    assert "il DAG amazon_orders__eu_de_fr è in pausa" in body


def test_an_import_that_does_not_end_in_time_is_left_behind(runs):
    seen, emails = runs
    run, tasks = seen["late"]
    assert run["state"] == "success", tasks
    assert tasks["trigger__it_main"] == "success" and tasks["import__it_main"] == "failed"
    assert tasks["sync"] == "success"
    body = _sync_email(emails, 1).get_body(("plain",)).get_content()
    assert "non terminata entro 0.05 minuti" in body
