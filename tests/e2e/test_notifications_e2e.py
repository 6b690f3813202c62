"""New orders reach the gestionale through Amazon's ORDER_CHANGE notifications, read by the real triggerer.

The Amazon stand-in publishes to a local SQS (moto) once ``notifications setup`` subscribed the
account's queue; Airflow runs as separate processes (api-server, scheduler, dag-processor, triggerer;
LocalExecutor; metadata on PostgreSQL). The notifications are hostile: the first two are dropped, the
others may be sent twice and late (so out of order). Every notified order is stored by an
asset-triggered run; the dropped ones by the account's cron (every 2 minutes here), which reads the
full window; no order is lost and none is stored twice, in the site or in the gestionale.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest
import yaml

from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE
from sandbox.airflow_cluster import LocalAirflow
from sandbox.order_latency import OrderSource, StandInControl, StoredOrders
from sandbox.stack import LocalStack
from tests.fixtures.postgres import postgres_database

pytestmark = pytest.mark.slow
ACCOUNT = "it_main"
DAG = f"amazon_orders__{ACCOUNT}"
CRON = "*/2 * * * *"
DROPPED = 2
BATCHES, BATCH_SIZE, BATCH_GAP_S = 3, 3, 15
WAIT_S = 330  # the dropped orders wait for a cron run whose window (up to 2 minutes ago) holds them


@pytest.fixture
def accounts_file(tmp_path):
    raw = yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text())
    raw["sync_schedule"] = raw["purge_schedule"] = "none"
    for account in raw["accounts"]:
        account["schedule"] = CRON if account["id"] == ACCOUNT else "none"
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.fixture
def stack(tmp_path, accounts_file) -> Iterator[LocalStack]:
    """The stand-ins with no orders yet (the test creates them), and the account's queue."""
    from sandbox.demo import prepare_site

    with LocalStack(tmp_path / "stack", accounts_file=accounts_file, amazon_args=[],
                    notifications=[ACCOUNT]) as running:
        prepare_site(running)
        yield running


def create(source: OrderSource, watch: StoredOrders, count: int) -> list[str]:
    placed = [source.create() for _ in range(count)]
    assert all(placed), f"the stand-in placed other orders than the seeds give: {source.unexpected}"
    for order_id, at in placed:
        watch.watch(ACCOUNT, [order_id], at)
    return [order_id for order_id, _ in placed]


def timeline(watch: StoredOrders, kind: dict[str, str], sent: Counter) -> str:
    """One line per order: created, messages sent, seconds to its push and the run type that pushed it."""
    return "\n".join(
        f"{oid} created {s.created_at:%H:%M:%S}, {sent[oid]} message(s), pushed after {s.latency_s:.0f} s "
        f"by a {kind[oid]} run" for oid, s in sorted(watch.stored.items(), key=lambda item: item[1].created_at))


def run_types(airflow: LocalAirflow) -> dict[str, dict]:
    """Every run so far, once finished: those under way (the cron may have just started one) are waited for."""
    for run in airflow.runs(DAG):
        if run["state"] not in ("success", "failed"):
            airflow.wait_for_run(DAG, run["dag_run_id"])
    return {run["dag_run_id"]: run for run in airflow.runs(DAG) if run["state"] in ("success", "failed")}


def test_notified_orders_arrive_by_event_runs_and_dropped_ones_by_the_cron(stack, tmp_path):
    control = StandInControl(stack.amazon_url)
    source = OrderSource.for_account(control, stack.accounts_file, ACCOUNT)
    watch = StoredOrders(stack.site_url, stack.workdir / "gestionale" / "gestionale.sqlite3")
    stack.setup_notifications(ACCOUNT)

    # Dropped before Airflow starts: their creation is the oldest, so the cron's window holds them soonest.
    control.set_notification_faults(drop_next=DROPPED)
    dropped = create(source, watch, DROPPED)
    assert control.notifications()["dropped"] == DROPPED
    control.set_notification_faults(duplicate=0.4, duplicate_next=2, delay_max_s=20, seed=5)

    with postgres_database("notifications_meta") as metadata, LocalAirflow(
            tmp_path / "cluster", env=stack.airflow_env(), metadata_url=metadata) as airflow:
        airflow.unpause(DAG)
        notified: list[str] = []
        for batch in range(BATCHES):
            if batch:
                time.sleep(BATCH_GAP_S)
            notified += create(source, watch, BATCH_SIZE)
        deadline = time.monotonic() + WAIT_S
        while watch.missing and time.monotonic() < deadline:
            watch.poll()
            time.sleep(2)
        watch.poll()
        runs = run_types(airflow)

    assert control.wait_sent(30), "the delayed notifications were all sent"
    sent = control.notified_orders()
    faults = control.notifications()
    assert set(sent) == set(notified), "every order but the dropped ones was notified"
    assert faults["duplicated"] >= 2 and max(sent.values()) >= 2
    assert faults["delayed"] > 0

    assert not watch.missing, f"lost: {watch.missing}; runs {[(r['run_type'], r['state']) for r in runs.values()]}"
    documents = watch.documents()
    assert {oid: documents[oid] for oid in watch.created} == dict.fromkeys(watch.created, 1), "one document each"
    site = watch.site_order_counts()
    assert {oid: site[oid] for oid in watch.created} == dict.fromkeys(watch.created, 1)
    watch.dispose()

    kind = {oid: runs[stored.run_id]["run_type"] for oid, stored in watch.stored.items()}
    story = timeline(watch, kind, sent)
    assert {kind[oid] for oid in notified} == {"asset_triggered"}, story
    assert {kind[oid] for oid in dropped} == {"scheduled"}, f"only a cron run reads the dropped orders\n{story}"
    assert all(run["state"] == "success" for run in runs.values()), [
        (r["dag_run_id"], r["state"]) for r in runs.values()]
