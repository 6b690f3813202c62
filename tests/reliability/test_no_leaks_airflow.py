"""No credential and no buyer data in anything Airflow wrote, the real account DAG run by Airflow.

``amazon_orders__it_main`` runs with ``airflow dags test --use-executor`` (tests/reliability/
dags_test_runs.py: each task try in its own process under Airflow's task supervisor, which writes the
task log files as a worker does) against both stand-ins as processes, a SMTP server that asks for a
login, and a site database whose PII key is in the ``passweb_site`` connection. Every credential is
recognisable: the LWA client secret and refresh token, the WebAPI password, the SMTP password, the PII
key, and the wrong LWA secret and WebAPI password of the refused logins. The buyers are those of the
generated orders (names, emails, phones, streets, companies, VAT numbers, fiscal codes), two of them
with long names and streets full of quotes and accents (the gestionale shortens them, with a warning).

Scenarios, each its own DAG run (several at once, on a PostgreSQL metadata database):

- ``success``: the orders imported, pushed, reported; ``success_in_process`` the same with plain
  ``airflow dags test`` (the tasks inside the command, their logs on its stdout, as tests/e2e runs);
- ``dry_run``: the DAG's ``dry_run`` param (importer/dry_run.py): planned, a trial report, nothing written;
- ``amazon_outage``: the Amazon stand-in is down (the fetch fails, Airflow tries it three times);
- ``amazon_login_refused``: Login with Amazon refuses the client secret (401 invalid_client; failed
  at once, the import run recorded as refused);
- ``gestionale_login_refused``: the WebAPI refuses the password (the push stops at once);
- ``gestionale_refuses_documents``: the gestionale lost the account's causale, every document is
  refused (400 6001) while customers and addresses are created;
- ``gestionale_outage``: the gestionale is down for the whole run (each order's push gives up);
- ``amazon_unreadable_answers``: Orders API v0, a fifth of Amazon's answers cut in half, some an HTML
  page (the client retries, logging why).

The Amazon outage is tried three times (Airflow's retries): three log files of the fetch, all searched.

Then everything is searched (tests/reliability/leak_scan.py: raw, URL-encoded, JSON- and HTML-escaped,
base64 forms): every task log file of every try, the commands' stdout and stderr, the XComs in the
metadata database, every email the SMTP server received; and, across scenarios, every file under
AIRFLOW_HOME, every row of every table of the metadata database and the api-server's output. None may
hold a credential. Buyer data must not be in any of them either: the policy (notify/__init__.py,
README "Personal data") is that logs and XCom carry ids and counts only and the emails name no buyer
(the order by its Amazon id, site number and gestionale document; the customer by its code).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import sqlite3
import time
import zlib
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, inspect
from sqlalchemy import text as sql

from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE, load_accounts
from amazon_passweb.site.crypto import generate_key
from sandbox.amazon.generate import generate_orders
from sandbox.demo import prepare_site
from sandbox.stack import AMAZON, GESTIONALE, LocalStack
from tests.fixtures.mail import SMTP_LOGIN, SMTP_PASSWORD, airflow_smtp_connection, running_smtp_server
from tests.fixtures.postgres import postgres_database, require_postgres
from tests.reliability.dags_test_runs import DagTest, DagTestAirflow
from tests.reliability.figures import record
from tests.reliability.leak_scan import Finding, Needle, buyer_needles, credential, scan

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(1800)]

DAG = "amazon_orders__it_main"
ACCOUNT = load_accounts().account("it_main")
WINDOW = {"window_start": "2026-10-01T00:00:00+00:00"}
ORDERS, SEED = 50, 23
RUN_TIMEOUT_S = 900

# Recognisable credentials with the characters encodings change (+ / = " & % \ |), each around a
# distinctive fragment that survives any of them.
LWA_CLIENT_SECRET = 'amzn1.oa2-cs.v1.+/="LwaSecret7f3a2c91e5&%'
WRONG_LWA_CLIENT_SECRET = 'amzn1.oa2-cs.v1.+/="WrongLwaSecret4b8d0e&%'
LWA_REFRESH_TOKEN = 'Atzr|IwEB+/="RefreshToken9c2e7a41d0&%'
WEBAPI_PASSWORD = 'Gestionale:+/"\\WebapiPwd5e1f8c3b27&%'
WRONG_WEBAPI_PASSWORD = 'Gestionale:+/"\\WrongWebapiPwd0a9b6c&%'
PII_KEY = generate_key()
CREDENTIALS = [
    credential("LWA client secret", LWA_CLIENT_SECRET, "LwaSecret7f3a2c91e5"),
    credential("wrong LWA client secret", WRONG_LWA_CLIENT_SECRET, "WrongLwaSecret4b8d0e"),
    credential("LWA refresh token", LWA_REFRESH_TOKEN, "RefreshToken9c2e7a41d0"),
    credential("WebAPI password", WEBAPI_PASSWORD, "WebapiPwd5e1f8c3b27"),
    credential("wrong WebAPI password", WRONG_WEBAPI_PASSWORD, "WrongWebapiPwd0a9b6c"),
    credential("SMTP password", SMTP_PASSWORD, "Pa55-never-in-mail"),
    credential("PII key", PII_KEY, PII_KEY[4:24]),
]
LONG_NAME = "Maria Grazia D'Alessandro-Öztürk di Sant'Angelo dei Lombardi e Carbonara"
LONG_STREET = 'Via dell\'Università degli Studi "La Sapienza" di Roma, civico 1234/B, scala C, interno 56'


def _orders() -> list[dict]:
    """The generated orders, two of the account's with long names and streets (the gestionale truncates them)."""
    orders = copy.deepcopy(generate_orders(ORDERS, SEED))
    mine = [o for o in orders if o["salesChannel"]["marketplaceId"] in ACCOUNT.marketplaces
            and o["fulfillment"]["fulfilledBy"] == "MERCHANT" and o.get("recipient")]
    for number, order in enumerate(mine[:2]):
        order["buyer"]["buyerName"] = order["recipient"]["deliveryAddress"]["name"] = f"{LONG_NAME} {number}"
        order["recipient"]["deliveryAddress"]["addressLine1"] = f"{LONG_STREET} {number}"
    return orders


def _drop_the_causale(stack: LocalStack) -> None:
    """The account's causale deleted in the gestionale: every document refers to it and is refused."""
    rows = [{"id": 2, "descrizione": "Reso da cliente"}]
    assert ACCOUNT.causale != 2
    httpx.post(f"http://127.0.0.1:{stack.gestionale_port}/_sandbox/tables",
               json={"dati-generali/causali-movimenti": rows}, timeout=10).raise_for_status()


@dataclass(frozen=True)
class Scenario:
    name: str
    conf: dict = field(default_factory=lambda: dict(WINDOW))
    amazon_secret: str = LWA_CLIENT_SECRET
    amazon_args: tuple[str, ...] = ()
    api_version: str | None = None  # the account's, unless given
    webapi_password: str = WEBAPI_PASSWORD
    gestionale_extra: dict = field(default_factory=dict)
    prepare: Callable[[LocalStack], None] | None = None
    run_state: str = "success"
    emails: int = 2  # the operator's report and the administrator's AFN notice
    tries: dict = field(default_factory=lambda: {"push_partial": 1})  # task → tries expected
    executor: bool = True  # False: plain `airflow dags test`, the tasks inside the command, their logs on stdout


# The slowest first (three tries of the fetch, a minute apart), the others meanwhile.
SCENARIOS = [
    # Amazon down for the whole run: the fetch fails, and Airflow tries it again twice (three log files).
    Scenario("amazon_outage", prepare=lambda stack: stack.stop("amazon"), run_state="failed", emails=0,
             tries={"fetch": 3}),
    # Refused at once, without retries (each would be one more refused login).
    Scenario("amazon_login_refused", amazon_secret=WRONG_LWA_CLIENT_SECRET, run_state="failed", emails=0,
             tries={"fetch": 1}),
    Scenario("success"),
    Scenario("success_in_process", executor=False),  # as tests/e2e and an integrator debugging run it
    Scenario("dry_run", conf={**WINDOW, "dry_run": True}, emails=1, tries={}),
    Scenario("gestionale_login_refused", webapi_password=WRONG_WEBAPI_PASSWORD, run_state="failed"),
    Scenario("gestionale_refuses_documents", prepare=_drop_the_causale),
    # Down for the whole run: each order's push gives up after the retry budget and stays Registrato.
    Scenario("gestionale_outage", prepare=lambda stack: stack.stop("gestionale"),
             gestionale_extra={"retry_budget_s": 2, "connect_timeout_s": 1}),
    # Orders API v0 (more calls: the items of each order, restricted-data tokens), a fifth of Amazon's
    # answers cut in half and some an HTML error page: the client retries, logging why each time.
    Scenario("amazon_unreadable_answers", api_version="v0",
             amazon_args=("--p-truncated", "0.2", "--p-malformed", "0.05")),
]


@dataclass
class ScenarioRun:
    scenario: Scenario
    command: DagTest
    state: str = ""
    tries: dict = field(default_factory=dict)
    logs: dict[str, str] = field(default_factory=dict)  # task log file (relative) → text
    output: str = ""
    xcoms: list = field(default_factory=list)
    emails: list[str] = field(default_factory=list)  # each message: raw, then every part decoded
    connections: dict[str, str] = field(default_factory=dict)  # what the run was given, as given
    import_runs: list = field(default_factory=list)  # (outcome, message) the site recorded
    seconds: float = 0.0  # the DAG run, start to end


@dataclass
class LeakRuns:
    runs: dict[str, ScenarioRun]
    home_files: dict[str, str]  # every file Airflow wrote under AIRFLOW_HOME
    metadata_rows: dict[str, str]  # table → every row, as text
    api_server_log: str
    buyers: list[Needle]
    order_ids: set[str]


def _accounts_file(directory: Path, scenario: Scenario) -> Path | None:
    if scenario.api_version is None:
        return None
    raw = yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text())
    for account in raw["accounts"]:
        if account["id"] == ACCOUNT.id:
            account["api_version"] = scenario.api_version
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "accounts.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _scenario_env(stack: LocalStack, scenario: Scenario, smtp_port: int) -> dict[str, str]:
    env = stack.airflow_env()
    env.pop("SITE_PII_KEY", None)
    amazon = json.loads(env[f"AIRFLOW_CONN_{ACCOUNT.sp_api_conn_id.upper()}"])
    amazon["password"] = scenario.amazon_secret
    env[f"AIRFLOW_CONN_{ACCOUNT.sp_api_conn_id.upper()}"] = json.dumps(amazon)
    gestionale = json.loads(env["AIRFLOW_CONN_GESTIONALE_WEBAPI"])
    gestionale["password"] = scenario.webapi_password
    gestionale["extra"] |= scenario.gestionale_extra
    env["AIRFLOW_CONN_GESTIONALE_WEBAPI"] = json.dumps(gestionale)
    env[f"AIRFLOW_CONN_{load_accounts().smtp_conn_id.upper()}"] = airflow_smtp_connection(smtp_port)
    env["AIRFLOW_CONN_PASSWEB_SITE"] = json.dumps({"conn_type": "generic", "host": stack.site_url,
                                                   "extra": {"pii_key": PII_KEY}})
    return env


def _email_texts(handler) -> list[str]:
    texts = []
    for envelope in handler.received:
        raw = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        message = message_from_bytes(raw, policy=policy.default)
        parts = [raw.decode("utf-8", "replace")]
        for part in message.walk():
            payload = part.get_payload(decode=True)
            if payload:
                parts.append(payload.decode(part.get_content_charset() or "utf-8", errors="replace"))
        texts.append("\n".join(parts))
    return texts


def _metadata_rows(url: str) -> dict[str, str]:
    """Every row of every table of the metadata database, as text (bytes decoded, JSON dumped)."""
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            return {name: "\n".join(" | ".join(_as_text(value) for value in row)
                                    for row in db.execute(sql(f'SELECT * FROM "{name}"')))
                    for name in inspect(engine).get_table_names()}
    finally:
        engine.dispose()


def _as_text(value: object) -> str:
    if isinstance(value, bytes | memoryview):
        data = bytes(value)
        with contextlib.suppress(zlib.error):
            data = zlib.decompress(data)
        return data.decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@pytest.fixture(scope="module")
def leak_runs(tmp_path_factory) -> LeakRuns:
    require_postgres()
    started = time.monotonic()
    workdir = tmp_path_factory.mktemp("leaks")
    orders = _orders()
    orders_file = workdir / "orders.json"
    orders_file.write_text(json.dumps(orders))
    runs: dict[str, ScenarioRun] = {}
    with ExitStack() as stack:
        metadata_url = stack.enter_context(postgres_database("leaks_airflow"))
        airflow = stack.enter_context(DagTestAirflow(workdir, metadata_url, dict(os.environ)))
        smtp_servers, site_dbs = {}, {}
        for scenario in SCENARIOS:
            local = stack.enter_context(LocalStack(
                workdir / scenario.name, amazon_args=["--orders", str(orders_file), *scenario.amazon_args],
                accounts_file=_accounts_file(workdir / scenario.name, scenario),
                amazon_credentials={"client_secret": LWA_CLIENT_SECRET, "refresh_token": LWA_REFRESH_TOKEN},
                gestionale_credentials={"password": WEBAPI_PASSWORD}, pii_key=PII_KEY))
            prepare_site(local)
            if scenario.prepare:
                scenario.prepare(local)
            smtp_servers[scenario.name] = smtp = stack.enter_context(running_smtp_server())
            env = _scenario_env(local, scenario, smtp.port)
            command = airflow.start(scenario.name, DAG, env, json.dumps(scenario.conf), executor=scenario.executor)
            runs[scenario.name] = ScenarioRun(scenario, command, connections={
                name: value for name, value in env.items() if name.startswith("AIRFLOW_CONN_")})
            site_dbs[scenario.name] = local.site_db
        for run in runs.values():
            run.command.wait(airflow, RUN_TIMEOUT_S)
            run.state = airflow.run_state(run.command)
            run.seconds = airflow.run_seconds(run.command)
            run.tries = airflow.task_tries(run.command)
            run.logs = {str(path.relative_to(airflow.home)): path.read_text(errors="replace")
                        for path in airflow.task_log_files(run.command)}
            run.output = run.command.output()
            run.xcoms = airflow.xcoms(run.command)
            run.emails = _email_texts(smtp_servers[run.scenario.name].handler)
            with contextlib.closing(sqlite3.connect(site_dbs[run.scenario.name])) as site:
                run.import_runs = site.execute("SELECT outcome, message FROM import_runs ORDER BY id").fetchall()
        airflow.close()
        home_files = {str(path.relative_to(airflow.home)): path.read_bytes().decode("utf-8", "replace")
                      for path in sorted(airflow.home.rglob("*")) if path.is_file()}
        result = LeakRuns(runs, home_files, _metadata_rows(metadata_url),
                          (workdir / "api-server.log").read_text(errors="replace"), buyer_needles(orders),
                          {o["orderId"] for o in orders})
    _record_figures(result, time.monotonic() - started)
    return result


def _record_figures(result: LeakRuns, wall_s: float) -> None:
    runs = result.runs.values()
    leaks = sum(len(findings) for findings in _all_findings(result).values())
    record("no_leaks_airflow", scenarios=len(result.runs), run_states={r.scenario.name: r.state for r in runs},
           task_tries=sum(tries for r in runs for _, tries in r.tries.values()),
           task_log_files=sum(len(r.logs) for r in runs),
           task_log_bytes=sum(len(text) for r in runs for text in r.logs.values()),
           xcom_values=sum(len(r.xcoms) for r in runs), emails=sum(len(r.emails) for r in runs),
           airflow_home_files=len(result.home_files), metadata_tables=len(result.metadata_rows),
           credentials=len(CREDENTIALS), credential_forms=sum(len(n.forms) for n in CREDENTIALS),
           buyer_values=len(result.buyers), leaks=leaks,
           run_seconds={r.scenario.name: round(r.seconds) for r in runs},
           commands_stopped_after_their_run=sum(r.command.stopped_after_run for r in runs), wall_s=round(wall_s, 1))


def _all_findings(result: LeakRuns) -> dict[str, list[Finding]]:
    findings: dict[str, list[Finding]] = {}
    everything = CREDENTIALS + result.buyers
    for name, run in result.runs.items():
        found = []
        for path, text in run.logs.items():
            found += scan(path, text, everything)
        found += scan(f"{name}: dags test stdout/stderr", run.output, everything)
        for task, key, value in run.xcoms:
            found += scan(f"{name}: XCom {task}/{key}", value, everything)
        for number, text in enumerate(run.emails, start=1):
            found += scan(f"{name}: email {number}", text, everything)
        findings[name] = found
    found = []
    for path, text in result.home_files.items():
        found += scan(f"AIRFLOW_HOME/{path}", text, everything)
    for name, text in result.metadata_rows.items():
        found += scan(f"metadata table {name}", text, everything)
    found += scan("api-server output", result.api_server_log, everything)
    findings["airflow"] = found
    return findings


def _only(findings: list[Finding], prefix: str) -> list[str]:
    return [str(f) for f in findings if f.label.startswith(prefix)]


@pytest.fixture(scope="module")
def findings(leak_runs) -> dict[str, list[Finding]]:
    return _all_findings(leak_runs)


NAMES = [scenario.name for scenario in SCENARIOS]


@pytest.mark.parametrize("name", NAMES)
def test_the_scenario_ran_as_it_should(leak_runs, name):
    run = leak_runs.runs[name]
    scenario = run.scenario
    assert run.state == scenario.run_state, (run.state, run.tries, run.output[-3000:])
    assert len(run.emails) == scenario.emails, run.emails
    for task, tries in scenario.tries.items():
        assert run.tries[task][1] == tries, run.tries
    if name == "amazon_login_refused":
        [(outcome, text)] = run.import_runs
        assert outcome == "failed" and text.startswith("Amazon ha rifiutato la lettura degli ordini"), text
    if not scenario.executor:
        assert not run.logs and "amazon_passweb.importer.partial_push" in run.output, "the task logs are on stdout"
        return
    for task, tries in scenario.tries.items():
        assert len([path for path in run.logs if f"task_id={task}/" in path]) == tries, "a log file per try"
    assert len(run.logs) == sum(tries for _, tries in run.tries.values() if tries), "every try has its log file"
    assert any('"logger":"amazon_passweb.' in text for text in run.logs.values()), "the product's records are there"


@pytest.mark.parametrize("name", NAMES)
def test_the_scan_finds_the_credentials_the_run_was_given(leak_runs, name):
    """Positive control: the connections handed to the run hold the credentials, and the scan sees them."""
    given = "\n".join(leak_runs.runs[name].connections.values())
    found = {finding.label for finding in scan("connections", given, CREDENTIALS)}
    expected = {"credential: LWA refresh token", "credential: SMTP password", "credential: PII key",
                "credential: LWA client secret",  # the other account's connection keeps the right one
                "credential: wrong WebAPI password" if name == "gestionale_login_refused"
                else "credential: WebAPI password"}
    if name == "amazon_login_refused":
        expected.add("credential: wrong LWA client secret")
    assert found == expected


@pytest.mark.parametrize("name", NAMES)
def test_no_credential_in_task_logs_output_xcom_or_email(findings, name):
    assert _only(findings[name], "credential") == []


@pytest.mark.parametrize("name", NAMES)
def test_no_buyer_data_in_task_logs_output_xcom_or_email(findings, name):
    assert _only(findings[name], "buyer") == []


@pytest.mark.parametrize("name", NAMES)
def test_the_report_names_orders_by_id_only(leak_runs, name):
    """What the policy allows the email: order ids, site numbers, document keys, customer codes, amounts."""
    run = leak_runs.runs[name]
    for text in run.emails:
        assert SMTP_LOGIN not in text
    if run.emails:
        assert any(order_id in run.emails[0] for order_id in leak_runs.order_ids), "the report lists the orders"


def test_nothing_airflow_wrote_holds_a_credential_or_buyer_data(findings):
    """Every file under AIRFLOW_HOME (all runs' logs, airflow.cfg), every metadata table, the api-server."""
    assert [str(f) for f in findings["airflow"]] == []


def test_xcom_holds_ids_counts_and_status_text(leak_runs):
    for run in leak_runs.runs.values():
        assert run.xcoms or run.state == "failed", run.scenario.name
        for task, key, value in run.xcoms:
            assert "@" not in value, (run.scenario.name, task, key, value)


def test_the_gestionale_user_and_the_credentials_given_are_the_recognisable_ones():
    """The connections carry these values (a scan for values never given would prove nothing)."""
    assert GESTIONALE["password"] != WEBAPI_PASSWORD and AMAZON["client_secret"] != LWA_CLIENT_SECRET
    assert len({n.label for n in CREDENTIALS}) == len(CREDENTIALS)
