"""Benchmark: inbox → reconciled → site orders with 100,000 existing customers.

    python -m bench.import_throughput [--dialect sqlite|postgresql] [--orders 1000,10000,50000]

Each dialect gets one template database: migrated, the gestionale catalogue's articles,
and ``--customers`` customers with an address each (bulk-inserted, encrypted and hashed as
the repository stores them; not measured). Each case copies the template (a file copy on
SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL) and runs the importer steps in a
fresh process: fetch_into_inbox (pages of 100 streamed from a JSON-lines file of generated
v2026 orders), select_by_status, reconcile_selected, create_site_orders. The account is
``it_main`` accepting every marketplace and status, so every order goes the whole way.
Peak memory is the worker's VmHWM (peak RSS); "base" is its RSS before the first step.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from amazon_passweb.site.crypto import generate_key
from amazon_passweb.site.unit_of_work import open_site_store

PAGE = 100
GENERATE_CHUNK = 2_000  # generate_orders is quadratic in its own count: generate in chunks
ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("SITE_BENCH_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


def write_orders(path: Path, count: int, seed: int) -> None:
    """``count`` generated v2026 orders with distinct ids, one JSON object a line."""
    from sandbox.amazon.generate import generate_orders

    seen: set[str] = set()
    with path.open("w", encoding="utf-8") as out:
        for chunk in itertools.count():
            if len(seen) >= count:
                return
            for raw in generate_orders(GENERATE_CHUNK, seed * 1_000 + chunk):
                if raw["orderId"] not in seen and len(seen) < count:
                    seen.add(raw["orderId"])
                    out.write(json.dumps(raw) + "\n")


def seed_template(url: str, key: str, customers: int) -> None:
    from bench.site_store import seed_customers
    from sandbox.gestionale.catalogue import seed_site_articles

    store = open_site_store(url, pii_key=key, upgrade=True)
    seed_site_articles(store)
    seed_customers(store, customers)
    if store.engine.dialect.name == "postgresql":  # the bulk insert gave explicit ids
        with store.engine.begin() as conn:
            for table in ("customers", "addresses"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    store.dispose()


@contextmanager
def sqlite_databases(tmp: Path) -> Iterator:
    template = tmp / "template.db"

    def copy(name: str) -> str:
        target = tmp / f"{name}.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"

    yield f"sqlite:///{template}", copy


@contextmanager
def postgresql_databases() -> Iterator:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    prefix = f"import_bench_{uuid.uuid4().hex[:8]}"
    created: list[str] = []

    def create(name: str, template: str | None = None) -> str:
        clause = f' TEMPLATE "{template}"' if template else ""
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{prefix}_{name}"{clause}'))
        created.append(f"{prefix}_{name}")
        return admin.url.set(database=f"{prefix}_{name}").render_as_string(hide_password=False)

    try:
        yield create("template"), lambda name: create(name, f"{prefix}_template")
    finally:
        with admin.connect() as conn:
            for name in reversed(created):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_case(url: str, key: str, orders_file: Path, count: int) -> dict:
    """Import ``count`` orders into the database at ``url`` in a fresh process."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "include"), str(ROOT)]), SITE_PII_KEY=key)
    command = [sys.executable, "-m", "bench.import_throughput", "--worker", url, str(orders_file), str(count)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"import worker failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_dialect(dialect: str, counts: list[int], customers: int, orders_file: Path) -> list[dict]:
    key = generate_key()
    results = []
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        databases = sqlite_databases(Path(tmp)) if dialect == "sqlite" else postgresql_databases()
        with databases as (template, copy):
            started = time.perf_counter()
            seed_template(template, key, customers)
            print(f"  {dialect}: template with {customers:,} customers in {time.perf_counter() - started:.1f} s",
                  flush=True)
            for count in counts:
                case = run_case(copy(f"case_{count}"), key, orders_file, count)
                case |= {"dialect": dialect, "customers": customers}
                results.append(case)
                print(f"  {dialect:<10} {count:>7,} orders: {case['orders_per_s']:8.1f} orders/s, "
                      f"peak RSS {case['peak_rss_mb']:6.1f} MB (base {case['base_rss_mb']:.1f}), "
                      f"steps s {case['steps_s']}, {case['site_orders']:,} site orders", flush=True)
    return results


# -- the worker: one case in a fresh process ---------------------------------------------------


def _status_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process. Not ru_maxrss: Linux carries it over
    from the parent across fork and exec, so a worker would report the parent's size."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _pages(orders_file: Path, count: int) -> Iterator[list]:
    from amazon_passweb.amazon.v2026 import order_from_v2026

    with orders_file.open(encoding="utf-8") as lines:
        page = []
        for line in itertools.islice(lines, count):
            page.append(order_from_v2026(json.loads(line)))
            if len(page) == PAGE:
                yield page
                page = []
        if page:
            yield page


def worker(url: str, orders_file: Path, count: int) -> dict:
    from amazon_passweb.config import AmazonStatus, load_accounts
    from amazon_passweb.importer.pipeline import AccountImport
    from sandbox.amazon.generate import MARKETPLACE_IDS

    account = load_accounts().account("it_main").model_copy(
        update={"marketplaces": list(MARKETPLACE_IDS), "order_statuses": list(AmazonStatus)})
    store = open_site_store(url, pii_key=os.environ["SITE_PII_KEY"])
    base = _status_mb("VmRSS")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    clock = started
    names = {"fetch": "fetch_into_inbox", "select": "select_by_status", "reconcile": "reconcile_selected",
             "create_orders": "create_site_orders"}

    def timed(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[names[step]] = round(now - clock, 2)
        clock = now

    # the import's own sequence, without the push (the gestionale is another benchmark's)
    outcome = AccountImport(store, account, "bench").run(_pages(orders_file, count), on_step=timed).create
    elapsed = clock - started
    store.dispose()
    return {
        "orders": count,
        "site_orders": outcome["created"],
        "elapsed_s": round(elapsed, 2),
        "orders_per_s": round(count / elapsed, 1),
        "steps_s": timings,
        "base_rss_mb": round(base, 1),
        "peak_rss_mb": round(_status_mb("VmHWM"), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_throughput", description=__doc__.splitlines()[0])
    parser.add_argument("--dialect", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--orders", default="1000,10000,50000", help="comma-separated order counts")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--worker", nargs=3, metavar=("URL", "ORDERS_FILE", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        url, orders_file, count = args.worker
        print(json.dumps(worker(url, Path(orders_file), int(count))))
        return 0
    print(json.dumps(run(args.dialect or ["sqlite", "postgresql"], args.orders, args.customers, args.seed)))
    return 0


def run(dialects: list[str], orders: str, customers: int, seed: int) -> list[dict]:
    counts = [int(n) for n in orders.split(",")]
    with tempfile.TemporaryDirectory(prefix="import-orders-") as tmp:
        orders_file = Path(tmp) / "orders.jsonl"
        write_orders(orders_file, max(counts), seed)
        return [case for dialect in dialects for case in bench_dialect(dialect, counts, customers, orders_file)]


if __name__ == "__main__":
    raise SystemExit(main())
