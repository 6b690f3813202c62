"""Every DAG file imports cleanly, fast, and without I/O or heavy imports at parse time."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_every_dag_file_is_loaded(dagbag):
    loaded_files = {Path(dag.fileloc).name for dag in dagbag.dags.values()}
    assert loaded_files == {p.name for p in DAGS.glob("*.py")}


def test_one_dag_per_importing_account(dagbag):
    from amazon_passweb.config import load_accounts

    expected = {a.dag_id for a in load_accounts().importing_accounts}
    account_dags = {d for d in dagbag.dag_ids if d.startswith("amazon_orders__")}
    assert account_dags == expected


def test_account_dag_shape(dagbag):
    dag = dagbag.dags["amazon_orders__it_main"]
    assert dag.max_active_runs == 1
    assert "amazon" in dag.tags and dag.doc_md
    assert set(dag.params.keys()) >= {"window_start", "dry_run"}
    order = [t.task_id for t in dag.topological_sort()]
    assert order == [
        "fetch", "select", "reconcile", "create_orders", "push_partial", "read_shipments", "confirm_shipments",
        "report", "advance_watermark",
    ]
    # A failed task (a killed task process included) is retried in the same run, twice, a minute apart
    # unless the accounts file's import_retry_delay_seconds says otherwise.
    assert {(t.retries, t.retry_delay.total_seconds()) for t in dag.tasks} == {(2, 60)}
    # A cron schedule must give each run a real data interval, so runs can be backfilled.
    assert type(dag.timetable).__name__ == "CronDataIntervalTimetable"


def test_purge_dag_shape(dagbag):
    dag = dagbag.dags["site_buyer_data_purge"]
    assert [t.task_id for t in dag.tasks] == ["purge"]
    assert dag.max_active_runs == 1 and not dag.catchup and dag.doc_md
    assert (dag.timetable.expression, str(dag.timetable.timezone)) == ("30 3 * * *", "Europe/Rome")


PARSE_PROBE = textwrap.dedent(
    """
    import json, socket, sys
    def _no_network(*args, **kwargs):
        raise AssertionError("network I/O at DAG parse time")
    socket.socket.connect = _no_network
    socket.create_connection = _no_network
    import sqlalchemy
    _create = sqlalchemy.create_engine
    from airflow.dag_processing.dagbag import DagBag
    import amazon_passweb  # noqa
    before = set(sys.modules)
    def _no_engine(*a, **k):
        raise AssertionError("database engine created at DAG parse time")
    sqlalchemy.create_engine = _no_engine
    bag = DagBag(dag_folder=sys.argv[1])
    loaded = sorted(m for m in set(sys.modules) - before)
    print(json.dumps({"errors": {k: str(v) for k, v in bag.import_errors.items()},
                      "dags": sorted(bag.dag_ids), "loaded": loaded}))
    """
)

HEAVY = ("pandas", "requests", "httpx", "cryptography", "amazon_passweb.site", "amazon_passweb.amazon",
         "amazon_passweb.gestionale", "amazon_passweb.importer", "amazon_passweb.notify")


def test_parsing_does_no_io_and_no_heavy_imports(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", PARSE_PROBE, str(DAGS)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["errors"] == {}
    assert "amazon_orders__it_main" in report["dags"]
    heavy = [m for m in report["loaded"] if m.split(".")[0] in HEAVY or m.startswith(HEAVY)]
    assert heavy == []
