"""The whole stack: both stand-ins as processes, the SMTP sink, and Airflow running the real DAGs."""

from __future__ import annotations

import pytest

from sandbox.stack import LocalStack
from tests.e2e.stack_queries import daily_accounts_file

ORDERS = 300
SEED = 7


@pytest.fixture(scope="module")
def accounts_file(tmp_path_factory):
    return daily_accounts_file(tmp_path_factory.mktemp("config"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory, accounts_file):
    workdir = tmp_path_factory.mktemp("stack")
    with LocalStack(workdir, accounts_file=accounts_file,
                    amazon_args=["--generate", str(ORDERS), "--seed", str(SEED)]) as running:
        from sandbox.demo import prepare_site

        prepare_site(running)
        yield running
