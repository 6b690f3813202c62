"""A wrong gestionale password, end to end with `airflow dags test`: one failed login, no retry,
the report email still goes out and names the failure, the created orders wait in the site."""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from amazon_passweb.config import load_accounts
from sandbox.stack import ROOT, LocalStack
from tests.e2e.stack_queries import site_orders

pytestmark = pytest.mark.slow
DAG = "amazon_orders__it_main"
WINDOW = {"window_start": "2026-10-01T00:00:00+00:00"}


@pytest.fixture(scope="module")
def refused_run(tmp_path_factory, accounts_file):
    workdir = tmp_path_factory.mktemp("refused")
    with LocalStack(workdir, accounts_file=accounts_file, amazon_args=["--generate", "40", "--seed", "11"]) as stack:
        from sandbox.demo import prepare_site

        prepare_site(stack)
        stack.migrate_airflow()
        env = stack.airflow_env()
        connection = json.loads(env["AIRFLOW_CONN_GESTIONALE_WEBAPI"])
        env["AIRFLOW_CONN_GESTIONALE_WEBAPI"] = json.dumps({**connection, "password": "not-the-password"})
        result = subprocess.run(
            [str(Path(sys.executable).parent / "airflow"), "dags", "test", DAG, "--conf", json.dumps(WINDOW)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
        (workdir / "dags-test.log").write_text(result.stdout + result.stderr)
        counts = httpx.get(f"http://127.0.0.1:{stack.gestionale_port}/_sandbox/counts").json()
        mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in stack.mail.messages()]
        yield result, counts, mails, site_orders(stack)


def test_a_refused_login_is_tried_once(refused_run):
    result, counts, _, _ = refused_run
    output = result.stdout + result.stderr
    assert "state=failed" in output, output[-3000:]
    assert counts["failed_logins"] == {"webapi": 1}
    assert counts["documenti"] == 0


def test_the_report_goes_out_and_names_the_failure(refused_run, accounts_file):
    _, _, mails, orders = refused_run
    account = load_accounts(accounts_file).account("it_main")
    reports = [m for m in mails if set(account.notification_emails) <= {m["To"]}]
    assert len(reports) == 1
    body = reports[0].get_body(("plain",)).get_content()
    assert "Invio al gestionale non riuscito" in body
    assert "ha rifiutato utente o password" in body
    assert "not-the-password" not in body
    assert orders and {row["state"] for row in orders.values()} <= {"Registrato", "Incompleto da Logistica Amazon"}
    assert "Registrato" in {row["state"] for row in orders.values()}
