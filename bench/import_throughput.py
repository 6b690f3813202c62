"""Import benchmark: inbox → reconciled → site orders, cost per order per step as the database grows.

    python -m bench.import_throughput --quick       # 300 and 1,000 orders, 2 rounds
    python -m bench.import_throughput               # 1k-500k orders, onto 1,000,000 orders, 5 rounds
    python -m bench.import_throughput --dialect sqlite --sizes 1000,10000 --existing 200000

Each dialect gets a template database: migrated, the gestionale catalogue's articles and
``customers`` customers with an address each (bulk-inserted, encrypted and hashed as the
repository stores them; not measured). A second template adds ``existing`` imported orders with
their inbox entries, seeded with bulk SQL (not through the product). Every sample copies a
template (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL) and runs the
importer's own steps in a fresh process: fetch_into_inbox (pages of 100 from a JSON-lines file of
generated v2026 orders), select_by_status, reconcile_selected, create_site_orders.

Buyers: a third of the generated buyers with a usable email are rewritten to a seeded customer's
email (same relay-address shape), so repeat buyers are matched by the product's identity rule.
The second import onto the big template brings a fifth of its orders as newer versions (status
updates) of orders already imported. Peak memory is the worker's own VmHWM (peak RSS).
Targets: >= 500 orders/s, peak RSS < 300 MB and within 50 MB across sizes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from sqlalchemy import bindparam, create_engine, text

from amazon_passweb.site.crypto import generate_key
from amazon_passweb.site.models import Order
from amazon_passweb.site.unit_of_work import open_site_store
from bench.samples import interleaved, spread, spread_text

PAGE = 100
GENERATE_CHUNK = 2_000  # generate_orders is quadratic in its own count: generate in chunks
ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("SITE_BENCH_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
ACCOUNT, MARKETPLACE = "it_main", "APJ6JRA9NG5V4"
REPEAT_BUYERS = 3  # one buyer in 3 with a usable email is a seeded customer
UPDATES = 5  # one order in 5 of the second import is a status update of an imported order
# The full profile's curve stops at 100k: five rounds of 500k orders on both databases take about five
# hours on 2 cores. The 500k point is its own run: python -m bench.import_throughput --sizes 500000 --repeats 1
PROFILES = {
    "full": {"sizes": [1_000, 10_000, 50_000, 100_000], "customers": 100_000,
             "existing": 1_000_000, "second": 10_000},
    "quick": {"sizes": [300, 1_000], "customers": 2_000, "existing": 20_000, "second": 1_000},
}
TARGET_RATE, TARGET_RSS_MB, TARGET_RSS_SPREAD_MB = 500, 300, 50
STEPS = ("fetch", "select", "reconcile", "create_orders")


def write_orders(path: Path, count: int, seed: int, customers: int, existing: int = 0) -> None:
    """``count`` generated v2026 orders with distinct ids, one JSON object a line. Some buyers
    become seeded customers; with ``existing``, every UPDATES-th order is a newer version of a
    seeded order (its id; the seeded version is older than any generated one)."""
    from bench.site_store import _email
    from sandbox.amazon.generate import SHARED_BUSINESS_EMAIL, generate_orders

    seen: set[str] = set()
    stride = max(1, existing // max(1, count // UPDATES))
    with path.open("w", encoding="utf-8") as out:
        for chunk in itertools.count():
            if len(seen) >= count:
                return
            for raw in generate_orders(GENERATE_CHUNK, seed * 1_000 + chunk):
                if raw["orderId"] in seen or len(seen) >= count:
                    continue
                seen.add(raw["orderId"])
                email = raw.get("buyer", {}).get("buyerEmail")
                if email and email != SHARED_BUSINESS_EMAIL:
                    # by the email, so every order of one generated buyer maps to the same customer
                    digest = zlib.crc32(email.encode())
                    if digest % REPEAT_BUYERS == 0:
                        raw["buyer"]["buyerEmail"] = _email(digest // REPEAT_BUYERS % customers + 1)
                n = len(seen) - 1
                if existing and n % UPDATES == 0:
                    raw["orderId"] = _seeded_id(n // UPDATES * stride % existing + 1)
                out.write(json.dumps(raw) + "\n")


def _seeded_id(n: int) -> str:
    return f"999-{n:07d}-0000000"  # generated ids start 402-408: never the same


def seed_template(url: str, key: str, customers: int) -> None:
    from bench.site_store import seed_customers
    from sandbox.gestionale.catalogue import seed_site_articles

    store = open_site_store(url, pii_key=key, upgrade=True)
    seed_site_articles(store)
    seed_customers(store, customers)
    _fix_sequences(store.engine, ("customers", "addresses"))  # the bulk insert gave explicit ids
    store.dispose()


def seed_existing_orders(url: str, customers: int, count: int) -> None:
    """``count`` imported (Memorizzato) orders and their inbox entries, with one INSERT … SELECT
    over a number series each: seconds for a million rows, where the product would take hours.
    No order rows and no payload (NULL, as after a purge): the import reads neither of them."""
    engine = create_engine(url)
    pg = engine.dialect.name == "postgresql"
    series = ("FROM generate_series(1, :count) AS s(n)" if pg else "FROM s")
    prefix = "" if pg else "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :count) "
    order_id = "'999-' || lpad(n::text, 7, '0') || '-0000000'" if pg else "printf('999-%07d-0000000', n)"
    customer = "(n % :customers) + 1"  # seeded addresses have the ids of their customers
    statements = [
        f"""{prefix}INSERT INTO orders (id, account, marketplace_id, amazon_order_id, sezionale, number, sigla,
            state, fulfillment, amazon_status_at_import, amazon_status_latest, purchase_date, customer_id,
            shipping_address_id, currency, total_gross, gestionale_document_key, created_at, updated_at)
            SELECT n, :account, :marketplace, {order_id}, 99, n, 'OX', 'Memorizzato', 'MFN', 'UNSHIPPED',
            'UNSHIPPED', :old, {customer}, {customer}, 'EUR', 39.90, 'OX+99+' || n, :old, :old {series}""",
        f"""{prefix}INSERT INTO inbox (id, account, amazon_order_id, marketplace_id, amazon_status, last_update,
            payload_enc, status, attempts, order_id, customer_id, shipping_address_id, customer_new,
            address_new, first_seen_at, updated_at)
            SELECT n, :account, {order_id}, :marketplace, 'UNSHIPPED', :old, NULL, 'imported', 0, n,
            {customer}, {customer}, false, false, :old, :old {series}""",
    ]
    old = bindparam("old", type_=Order.__table__.c.created_at.type)
    values = {"count": count, "customers": customers, "account": ACCOUNT, "marketplace": MARKETPLACE,
              "old": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement).bindparams(old), values)
    _fix_sequences(engine, ("orders", "inbox"))
    engine.dispose()


def _fix_sequences(engine, tables: tuple[str, ...]) -> None:
    """PostgreSQL: the serial sequences past the explicit ids; statistics for the planner."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in tables:
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT max(id) FROM {table}))"))
            conn.execute(text(f"ANALYZE {table}"))


@contextmanager
def sqlite_databases(tmp: Path) -> Iterator:
    """(create a template, copy a template, drop a copy): SQLite files."""
    def copy(template: str, name: str) -> str:
        target = tmp / f"{name}.db"
        shutil.copyfile(template.removeprefix("sqlite:///"), target)
        return f"sqlite:///{target}"

    yield (lambda name: f"sqlite:///{tmp / name}.db"), copy, lambda url: Path(url.removeprefix("sqlite:///")).unlink()


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

    def drop(url: str) -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))

    def copy(template: str, name: str) -> str:
        return create(name, template.rsplit("/", 1)[1])

    try:
        yield create, copy, drop
    finally:
        for name in reversed(created):
            drop(f"/{name}")
        admin.dispose()


def run_case(url: str, key: str, orders_file: Path, count: int) -> dict:
    """Import ``count`` orders into the database at ``url`` in a fresh process (its own peak RSS)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "include"), str(ROOT)]), SITE_PII_KEY=key)
    command = [sys.executable, "-m", "bench.import_throughput", "--worker", url, str(orders_file), str(count)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"import worker failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_section(profile: str, repeats: int, dialects: list[str] | None = None, **overrides) -> dict:
    """Every (dialect, size) cell and each dialect's second import, in interleaved rounds."""
    settings = PROFILES[profile] | {k: v for k, v in overrides.items() if v is not None}
    dialects = dialects or ["sqlite", "postgresql"]
    key = generate_key()
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp, ExitStack() as stack:
        files = Path(tmp) / "orders.jsonl", Path(tmp) / "second.jsonl"
        write_orders(files[0], max(settings["sizes"]), 42, settings["customers"])
        write_orders(files[1], settings["second"], 43, settings["customers"], settings["existing"])
        cells, seeding = {}, {}
        for dialect in dialects:
            create, copy, drop = stack.enter_context(
                sqlite_databases(Path(tmp)) if dialect == "sqlite" else postgresql_databases())
            started = time.perf_counter()
            base = create("template")
            seed_template(base, key, settings["customers"])
            seeded = time.perf_counter() - started
            big = copy(base, "template_existing")
            seed_existing_orders(big, settings["customers"], settings["existing"])
            seeding[dialect] = {"customers_s": round(seeded, 1),
                                "existing_orders_s": round(time.perf_counter() - started - seeded, 1)}
            print(f"  {dialect}: {settings['customers']:,} customers in {seeded:.1f} s, "
                  f"{settings['existing']:,} orders in {seeding[dialect]['existing_orders_s']} s", flush=True)

            def sample(template, orders_file, count, copy=copy, drop=drop):
                url = copy(template, f"sample_{uuid.uuid4().hex[:8]}")
                try:
                    return run_case(url, key, orders_file, count)
                finally:
                    drop(url)

            for size in settings["sizes"]:
                cells[(dialect, size, 0)] = lambda b=base, n=size, s=sample: s(b, files[0], n)
            cells[(dialect, settings["second"], settings["existing"])] = (
                lambda b=big, n=settings["second"], s=sample: s(b, files[1], n))
        named = {f"{d} {n} onto {e}": cell for (d, n, e), cell in cells.items()}
        samples = interleaved(named, repeats, progress=lambda line: print(line[:300], flush=True))
    result_cells = [_summary(dialect, size, existing, runs)
                    for (dialect, size, existing), runs in zip(cells, samples.values(), strict=True)]
    return {"profile": profile, "repeats": repeats, "settings": settings, "seeding_s": seeding,
            "cells": result_cells,
            "targets": _targets(result_cells)}


def run(dialects: list[str], orders: str, customers: int, seed: int) -> list[dict]:
    """The cost curve alone, one round, each case's raw worker result: what ``python -m bench``
    (bench/__main__.py) calls until its sections call :func:`run_section`."""
    counts = [int(n) for n in orders.split(",")]
    key, cases = generate_key(), []
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp, ExitStack() as stack:
        orders_file = Path(tmp) / "orders.jsonl"
        write_orders(orders_file, max(counts), seed, customers)
        for dialect in dialects:
            create, copy, drop = stack.enter_context(
                sqlite_databases(Path(tmp)) if dialect == "sqlite" else postgresql_databases())
            template = create("template")
            seed_template(template, key, customers)
            for count in counts:
                url = copy(template, f"case_{count}")
                try:
                    cases.append(run_case(url, key, orders_file, count) | {"dialect": dialect, "customers": customers})
                finally:
                    drop(url)
    return cases


def _summary(dialect: str, size: int, existing: int, runs: list[dict]) -> dict:
    return {
        "dialect": dialect, "orders": size, "existing_orders": existing,
        "orders_per_s": spread([r["orders_per_s"] for r in runs], 1),
        "ms_per_order": {step: spread([r["steps_s"][step] * 1000 / size for r in runs]) for step in STEPS},
        "peak_rss_mb": spread([r["peak_rss_mb"] for r in runs], 1),
        "site_orders": runs[0]["site_orders"], "matched_customers": runs[0]["matched_customers"],
        "new_customers": runs[0]["new_customers"], "status_updates": runs[0]["updated"],
    }


def _targets(cells: list[dict]) -> list[dict]:
    targets = []
    for dialect in dict.fromkeys(c["dialect"] for c in cells):
        mine = [c for c in cells if c["dialect"] == dialect]
        slowest = min(mine, key=lambda c: c["orders_per_s"]["median"])
        peaks = [c["peak_rss_mb"]["max"] for c in mine if not c["existing_orders"]]
        targets += [
            {"name": f"{dialect}: import >= {TARGET_RATE} orders/s at every size",
             "met": slowest["orders_per_s"]["median"] >= TARGET_RATE,
             "detail": f"slowest {slowest['orders_per_s']['median']:g} orders/s (median) at "
                       f"{slowest['orders']:,} orders onto {slowest['existing_orders']:,}"},
            {"name": f"{dialect}: peak RSS of the importing process < {TARGET_RSS_MB} MB",
             "met": max(c["peak_rss_mb"]["max"] for c in mine) < TARGET_RSS_MB,
             "detail": f"highest {max(c['peak_rss_mb']['max'] for c in mine):g} MB"},
            {"name": f"{dialect}: peak RSS flat with size (<= {TARGET_RSS_SPREAD_MB} MB apart)",
             "met": max(peaks) - min(peaks) <= TARGET_RSS_SPREAD_MB,
             "detail": f"{min(peaks):g}-{max(peaks):g} MB over {len(peaks)} sizes"},
        ]
    return targets


def render_section(result: dict) -> list[str]:
    lines = [f"### Import throughput and cost per order ({result['profile']}, {result['repeats']} interleaved "
             f"rounds, {result['settings']['customers']:,} seeded customers)", "",
             "| dialect | orders | onto orders | orders/s | " + " | ".join(f"{s} ms/order" for s in STEPS)
             + " | peak RSS MB | matched / new customers | status updates |",
             "|---|---|---|---|" + "---|" * len(STEPS) + "---|---|---|"]
    for c in result["cells"]:
        steps = " | ".join(spread_text(c["ms_per_order"][s]) for s in STEPS)
        lines.append(f"| {c['dialect']} | {c['orders']:,} | {c['existing_orders']:,} | "
                     f"{spread_text(c['orders_per_s'])} | {steps} | {spread_text(c['peak_rss_mb'])} | "
                     f"{c['matched_customers']:,} / {c['new_customers']:,} | {c['status_updates']:,} |")
    lines.append("")
    lines += ["Seeding, not measured (customers: bulk Core inserts, orders: INSERT … SELECT): " + ", ".join(
        f"{d} {s['customers_s']:g} s ({result['settings']['customers']:,} customers), "
        f"{s['existing_orders_s']:g} s ({result['settings']['existing']:,} orders)"
        for d, s in result["seeding_s"].items()), ""]
    lines += [f"- {t['name']}: {'met' if t['met'] else '**missed**'} ({t['detail']})" for t in result["targets"]]
    return lines


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


def _customers(store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM customers")).scalar_one()


def worker(url: str, orders_file: Path, count: int) -> dict:
    from amazon_passweb.config import AmazonStatus, load_accounts
    from amazon_passweb.importer.pipeline import AccountImport
    from sandbox.amazon.generate import MARKETPLACE_IDS

    account = load_accounts().account(ACCOUNT).model_copy(
        update={"marketplaces": list(MARKETPLACE_IDS), "order_statuses": list(AmazonStatus)})
    store = open_site_store(url, pii_key=os.environ["SITE_PII_KEY"])
    customers_before = _customers(store)  # not timed
    base = _status_mb("VmRSS")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    clock = started

    def timed(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[step] = round(now - clock, 3)
        clock = now

    # the import's own sequence, without the push (the gestionale is another benchmark's)
    counts = AccountImport(store, account, "bench").run(_pages(orders_file, count), on_step=timed)
    elapsed = clock - started
    peak = _status_mb("VmHWM")
    new_customers = _customers(store) - customers_before
    store.dispose()
    return {
        "orders": count,
        "site_orders": counts.create["created"],
        "updated": counts.fetch.counts.updated,
        "new_customers": new_customers,
        "matched_customers": counts.reconcile["reconciled"] - new_customers,
        "elapsed_s": round(elapsed, 2),
        "orders_per_s": round(count / elapsed, 1),
        "steps_s": timings,
        "base_rss_mb": round(base, 1),
        "peak_rss_mb": round(peak, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_throughput", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--dialect", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--sizes", help="comma-separated order counts of the cost curve")
    parser.add_argument("--customers", type=int)
    parser.add_argument("--existing", type=int, help="orders already imported before the second import")
    parser.add_argument("--second", type=int, help="orders of the second import")
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--worker", nargs=3, metavar=("URL", "ORDERS_FILE", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        url, orders_file, count = args.worker
        print(json.dumps(worker(url, Path(orders_file), int(count))))
        return 0
    profile = "quick" if args.quick else "full"
    sizes = [int(n) for n in args.sizes.split(",")] if args.sizes else None
    result = run_section(profile, args.repeats or (2 if args.quick else 5), args.dialect, sizes=sizes,
                         customers=args.customers, existing=args.existing, second=args.second)
    print("\n".join(render_section(result)))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
