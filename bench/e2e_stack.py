"""The services of one end-to-end cell: N accounts, each with its own Amazon seller, one gestionale.

Each account is a seller of its own on Amazon, with its own usage plans: every account gets an
SP-API stand-in process of its own (``python -m sandbox.amazon``, Amazon's clock at real speed so
any rate-limit wait is a real one), seeded with K orders no other account has. All accounts share
the one gestionale stand-in and its one WebAPI user, hence Airflow's ``gestionale_webapi`` pool.
The site and Airflow's metadata are PostgreSQL databases, as in production.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE
from amazon_passweb.site.crypto import generate_key
from sandbox.airflow_cluster import LocalAirflow
from sandbox.stack import ROOT, LocalStack, free_port, wait_for_port

TEMPLATE_ACCOUNT = "it_main"  # v2026 API, Italian marketplace, orders stored in the gestionale
WINDOW_START = "2026-10-01T00:00:00Z"  # the generated orders are from October 2026
GENERATE_CHUNK = 2_000  # generate_orders is quadratic in its own count: generate in chunks
REDIS_URL = "redis://127.0.0.1:6379/11"  # the Celery broker of tests/fixtures/broker.py


def account_ids(count: int) -> list[str]:
    return [f"bench_{number:03d}" for number in range(1, count + 1)]


def write_accounts_file(path: Path, count: int) -> None:
    """``count`` copies of the example's it_main, every schedule off: only the benchmark's runs happen."""
    raw = yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text())
    template = next(a for a in raw["accounts"] if a["id"] == TEMPLATE_ACCOUNT)
    raw["sync_schedule"] = raw["purge_schedule"] = "none"
    raw["accounts"] = [{**template, "id": account, "description": f"Benchmark seller {account}", "schedule": "none"}
                       for account in account_ids(count)]
    path.write_text(yaml.safe_dump(raw))


def seed_orders(count_per_account: int, accounts: list[str]) -> dict[str, list[dict]]:
    """K generated orders per account that the account imports all the way to the gestionale: Italian
    marketplace, merchant-fulfilled (no AFN placeholder customer needed), a status it_main imports.
    Order ids are distinct across accounts."""
    wanted = {"UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED"}
    from sandbox.amazon.generate import generate_orders

    pool: Iterator[dict] = (
        order for chunk in itertools.count(1) for order in generate_orders(GENERATE_CHUNK, 7_000 + chunk)
        if order["salesChannel"]["marketplaceId"] == "APJ6JRA9NG5V4"
        and order["fulfillment"]["fulfilledBy"] == "MERCHANT"
        and order["fulfillment"]["fulfillmentStatus"] in wanted)
    seen: set[str] = set()
    seeded: dict[str, list[dict]] = {account: [] for account in accounts}
    for account in accounts:
        while len(seeded[account]) < count_per_account:
            order = next(pool)
            if order["orderId"] not in seen:
                seen.add(order["orderId"])
                seeded[account].append(order)
    return seeded


@dataclass
class Cell:
    """What a running cell offers the measurement."""

    stack: LocalStack
    airflow: LocalAirflow
    orders: dict[str, list[dict]]
    amazon_processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def dag_ids(self) -> list[str]:
        return [f"amazon_orders__{account}" for account in self.orders]


@contextmanager
def running_cell(workdir: Path, accounts: int, orders_per_account: int, *, executor: str,
                 gestionale_latency_ms: float) -> Iterator[Cell]:
    """Everything up and ready (DAGs parsed), torn down on exit whatever happens."""
    from sandbox.demo import prepare_site
    from tests.fixtures.broker import delete_queue
    from tests.fixtures.postgres import postgres_database

    ids = account_ids(accounts)
    accounts_file = workdir / "accounts.yaml"
    write_accounts_file(accounts_file, accounts)
    orders = seed_orders(orders_per_account, ids)
    files = {}
    for account, seeded in orders.items():
        files[account] = workdir / f"orders-{account}.json"
        files[account].write_text(json.dumps(seeded))
    key = generate_key()  # PostgreSQL refuses the demo key
    with ExitStack() as stack_of_exits:
        site_url = stack_of_exits.enter_context(postgres_database("bench_e2e_site"))
        metadata_url = stack_of_exits.enter_context(postgres_database("bench_e2e_airflow"))
        # The stack's own Amazon stand-in serves the first account; the others get theirs below.
        stack = stack_of_exits.enter_context(LocalStack(
            workdir / "stack", accounts_file=accounts_file, amazon_args=["--orders", str(files[ids[0]])],
            gestionale_args=["--latency-ms", f"{gestionale_latency_ms:g}"], amazon_time_scale=1.0, pii_key=key))
        stack.site_url = site_url
        prepare_site(stack)
        env = stack.airflow_env()
        processes: list[subprocess.Popen] = []
        stack_of_exits.callback(stop_processes, processes)
        for account in ids[1:]:
            port = start_amazon(stack, workdir / f"amazon-{account}.log", processes, "--orders", str(files[account]))
            connection_env = f"AIRFLOW_CONN_AMAZON_SP_API__{account.upper()}"
            connection = json.loads(env[connection_env])
            connection["extra"].update(endpoint=f"http://127.0.0.1:{port}",
                                       lwa_endpoint=f"http://127.0.0.1:{port}/auth/o2/token")
            env[connection_env] = json.dumps(connection)
        broker = REDIS_URL if executor == "CeleryExecutor" else None
        airflow = LocalAirflow(workdir / "airflow", env=env, metadata_url=metadata_url, executor=executor,
                               broker_url=broker)
        if broker:
            stack_of_exits.callback(delete_queue, broker, airflow.celery_queue)
        stack_of_exits.enter_context(airflow)
        cell = Cell(stack, airflow, orders, processes)
        for dag_id in cell.dag_ids:
            airflow.unpause(dag_id)
        yield cell


def start_amazon(stack: LocalStack, log: Path, processes: list[subprocess.Popen], *options: str,
                 env: dict[str, str] | None = None) -> int:
    """One more SP-API stand-in (a seller of its own), with the stack's credentials and clock; its port."""
    port = free_port()
    args = ["--client-id", stack.amazon["client_id"], "--client-secret", stack.amazon["client_secret"],
            "--refresh-token", stack.amazon["refresh_token"], *options]
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.amazon", "--port", str(port), "--time-scale", f"{stack.amazon_time_scale:g}",
         *args], stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT, env=env or stack.airflow_env())
    processes.append(process)
    wait_for_port(port, process, log)
    return port


def stop_processes(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait(timeout=10)
