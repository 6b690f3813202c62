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


QUEUE = "http://127.0.0.1:5999/123456789012/amazon-orders-it-main"


def _listening_account(schedule: str | None = "hourly"):
    from amazon_passweb.config import load_accounts

    account = load_accounts().account("it_main")
    raw = account.model_dump(exclude_none=True) | {"schedule": schedule, "notifications": {
        "queue_url": QUEUE, "aws_conn_id": "aws_orders", "seller_id": "A1STANDINSELLER", "region_name": "eu-west-1"}}
    return type(account).model_validate(raw)


@pytest.mark.parametrize("schedule", ["hourly", None])
def test_a_listening_account_dag_serialises_and_its_trigger_round_trips(schedule):
    """What the dag-processor stores (JSON) and the triggerer rebuilds: the trigger's own class with its
    queue, connection, seller and long polling; the cron stays the schedule's time part."""
    from importlib import import_module

    from airflow.sdk.definitions.asset import Asset
    from airflow.serialization.serialized_objects import DagSerialization

    from amazon_passweb.orchestration.account_dag import build_account_dag
    from amazon_passweb.orchestration.order_change_trigger import OrderChangeTrigger

    dag = build_account_dag(_listening_account(schedule))
    assert "Amazon notifications" in dag.doc_md and QUEUE in dag.doc_md
    assert [t.task_id for t in dag.topological_sort()][0] == "fetch"
    stored = json.loads(json.dumps(DagSerialization.to_dict(dag)))
    loaded = DagSerialization.from_dict(stored)
    timetable = loaded.timetable
    if schedule:
        assert type(timetable).__name__ == "AssetOrTimeSchedule"
        assert timetable.timetable.summary == "0 * * * *"
        assert timetable.periodic, "the cron's runs can still be backfilled"
    else:
        assert type(timetable).__name__ == "AssetTriggeredTimetable"
    assets = list(timetable.asset_condition.iter_assets())
    assert [key.name for key, _ in assets] == ["amazon_order_changes__it_main"]
    (watcher,) = assets[0][1].watchers
    assert watcher.name == "sqs__it_main"
    trigger = watcher.trigger
    from airflow.serialization.serialized_objects import BaseSerialization

    kwargs = {k: BaseSerialization.deserialize(v) for k, v in trigger["kwargs"].items()}
    module, _, name = trigger["classpath"].rpartition(".")
    rebuilt = getattr(import_module(module), name)(**kwargs)
    assert type(rebuilt) is OrderChangeTrigger
    assert (rebuilt.sqs_queue, rebuilt.aws_conn_id, rebuilt.seller_id, rebuilt.region_name) == (
        QUEUE, "aws_orders", "A1STANDINSELLER", "eu-west-1")
    assert (rebuilt.wait_time_seconds, rebuilt.max_messages, rebuilt.delete_message_on_reception) == (20, 10, True)
    assert rebuilt.serialize() == OrderChangeTrigger(**kwargs).serialize()
    assert isinstance(dag.timetable.asset_condition, Asset)

    # The assets as the dag-processor records them (schedule and task inlets merged): the fetch task
    # reads its asset's events as an inlet, and the asset keeps its watcher (an inlet without it would
    # replace it, and the triggerer would run none).
    from airflow.dag_processing.collection import AssetModelOperation
    from airflow.serialization.serialized_objects import LazyDeserializedDAG

    collected = AssetModelOperation.collect({dag.dag_id: LazyDeserializedDAG(data=stored)})
    assert [asset.name for _, asset in collected.inlet_references[dag.dag_id]] == ["amazon_order_changes__it_main"]
    (recorded,) = collected.assets.values()
    assert [w.name for w in recorded.watchers] == ["sqs__it_main"]


def test_a_listening_account_parses_without_io_nor_the_products_heavy_parts(tmp_path):
    """The SQS trigger brings the Amazon provider (boto3, requests) into the parse; still no network, no
    database, none of the product's clients."""
    import os

    import yaml

    from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE

    raw = yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text())
    raw["accounts"][0]["notifications"] = {"queue_url": QUEUE, "seller_id": "A1STANDINSELLER"}
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(yaml.safe_dump(raw))
    result = subprocess.run([sys.executable, "-c", PARSE_PROBE, str(DAGS)], capture_output=True, text=True,
                            timeout=120, cwd=ROOT, env={**os.environ, "AMAZON_ACCOUNTS_FILE": str(accounts)})
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["errors"] == {} and "amazon_orders__it_main" in report["dags"]
    product = tuple(m for m in HEAVY if m.startswith("amazon_passweb"))
    assert [m for m in report["loaded"] if m.startswith(product)] == []
