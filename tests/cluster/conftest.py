"""The CI stage's infrastructure: PostgreSQL databases, the stand-ins, a Celery cluster (its Redis
broker is ``tests/fixtures/broker.py``'s).

Everything is made for the test and removed afterwards, whatever happens: the
databases are dropped, the broker's queue deleted, every process group killed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml

from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE
from sandbox.airflow_cluster import LocalAirflow
from sandbox.stack import LocalStack
from tests.fixtures.broker import delete_queue
from tests.fixtures.postgres import postgres_database

ORDERS, SEED = 300, 7


@pytest.fixture
def accounts_file(tmp_path):
    """The example accounts with every schedule off: only the runs the test triggers happen."""
    raw = yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text())
    raw["sync_schedule"] = "none"
    for account in raw["accounts"]:
        account["schedule"] = "none"
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.fixture
def stack(tmp_path, accounts_file, pii_key_in_env) -> Iterator[LocalStack]:
    """Both stand-ins and the SMTP sink; the site database on PostgreSQL, with the gestionale's articles."""
    from sandbox.demo import prepare_site

    with postgres_database("cluster_site") as site_url, LocalStack(
        tmp_path / "stack", accounts_file=accounts_file, amazon_args=["--generate", str(ORDERS), "--seed", str(SEED)],
        pii_key=pii_key_in_env,  # PostgreSQL refuses the demo key
    ) as running:
        running.site_url = site_url
        prepare_site(running)
        yield running


@pytest.fixture
def cluster(tmp_path, redis_broker, stack) -> Iterator[LocalAirflow]:
    """api-server, scheduler, dag-processor, triggerer and a Celery worker; metadata on PostgreSQL."""
    env = stack.airflow_env()  # SITE_PII_KEY: the stack's key
    with postgres_database("cluster_airflow") as metadata_url:
        airflow = LocalAirflow(tmp_path / "airflow", env=env, metadata_url=metadata_url,
                               executor="CeleryExecutor", broker_url=redis_broker)
        try:
            with airflow:
                yield airflow
        finally:
            delete_queue(redis_broker, airflow.celery_queue)

