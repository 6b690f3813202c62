"""The whole stack: both stand-ins as processes, the SMTP sink, and Airflow running the real DAGs."""

from __future__ import annotations

import pytest
import yaml

from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE
from sandbox.stack import LocalStack

ORDERS = 300
SEED = 7


@pytest.fixture(scope="module")
def accounts_file(tmp_path_factory):
    """The example accounts, scheduled daily so a backfill of a few days is a few runs."""
    raw = yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text())
    for account in raw["accounts"]:
        account["schedule"] = "daily"
    path = tmp_path_factory.mktemp("config") / "accounts.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.fixture(scope="module")
def stack(tmp_path_factory, accounts_file):
    workdir = tmp_path_factory.mktemp("stack")
    with LocalStack(workdir, accounts_file=accounts_file,
                    amazon_args=["--generate", str(ORDERS), "--seed", str(SEED)]) as running:
        from sandbox.demo import prepare_site

        prepare_site(running)
        yield running
