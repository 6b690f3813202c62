"""Site store benchmark: customer lookups by email hash and by address key with
100,000 customers, and order creation throughput.

    python -m bench.site_store                      # SQLite in a temporary file
    python -m bench.site_store --dialect postgresql # a throwaway PostgreSQL database
    python -m bench.site_store --customers 20000 --lookups 5000 --orders 500

Seeding is done in bulk and is not measured; every measured call goes through
the repository API exactly as the importer uses it (hashing, decryption, ORM-less
Core queries). Results are numbers, not pass/fail (target: >= 5,000 lookups/s
on SQLite).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, insert, text

from amazon_passweb.site import (
    CustomerKind,
    DocumentSigla,
    NewAddress,
    NewCustomer,
    NewOrder,
    OrderRowData,
    PiiCipher,
    RowKind,
    generate_key,
)
from amazon_passweb.site.db import make_engine, migrate
from amazon_passweb.site.models import Address, Customer
from amazon_passweb.site.unit_of_work import SiteStore

PG_ADMIN_URL = os.environ.get(
    "SITE_BENCH_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
SEED_BATCH = 5_000


def _email(i: int) -> str:
    """The shape of a generated Amazon buyer's relay address (sandbox.amazon.generate): an import
    benchmark rewrites some buyers to these, so they match the seeded customers by email."""
    return f"{i:012x}@marketplace.amazon.it"


def _address(i: int) -> NewAddress:
    return NewAddress(
        name=f"Cliente Numero {i}",
        line1=f"Via Giuseppe Verdi {i % 300 + 1}",
        postal_code=f"{10000 + i % 89999}",
        city="Milano",
        country_code="IT",
        phone="+39 333 0000000",
    )


@contextmanager
def database(dialect: str, url: str | None) -> Iterator[str]:
    """The URL to benchmark: the given one, or a throwaway database."""
    if url:
        yield url
        return
    if dialect == "sqlite":
        with tempfile.TemporaryDirectory(prefix="site-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'site.db'}"
        return
    name = f"site_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed_customers(store: SiteStore, count: int) -> None:
    """Bulk-insert ``count`` Amazon customers, each with one address, encrypted
    and hashed exactly as the repository stores them."""
    cipher = store.cipher
    now = datetime.now(UTC)
    with store.unit_of_work() as uow:
        repo, session = uow.customers, uow.session
        for start in range(0, count, SEED_BATCH):
            ids = range(start + 1, min(start + SEED_BATCH, count) + 1)
            session.execute(
                insert(Customer.__table__),
                [
                    {
                        "id": i,
                        "kind": CustomerKind.PRIVATE.value,
                        "origin": "amazon",
                        "email_hash": repo.email_hash(_email(i)),
                        "email_enc": cipher.encrypt(_email(i), "customer.email"),
                        "name_enc": cipher.encrypt(f"Cliente Numero {i}", "customer.name"),
                        "phone_enc": cipher.encrypt("+39 333 0000000", "customer.phone"),
                        "can_login": False,
                        "created_at": now,
                    }
                    for i in ids
                ],
            )
            session.execute(
                insert(Address.__table__),
                [
                    {
                        "customer_id": i,
                        "key_hash": repo.address_hash(_address(i).key()),
                        "origin": "amazon",
                        "name_enc": cipher.encrypt(_address(i).name, "address.name"),
                        "line1_enc": cipher.encrypt(_address(i).line1, "address.line1"),
                        "postal_code_enc": cipher.encrypt(_address(i).postal_code, "address.postal_code"),
                        "city_enc": cipher.encrypt(_address(i).city, "address.city"),
                        "country_code": "IT",
                        "created_at": now,
                    }
                    for i in ids
                ],
            )
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()


def bench_email_lookups(store: SiteStore, customers: int, lookups: int) -> float:
    sample = [random.randint(1, customers) for _ in range(lookups)]
    with store.unit_of_work() as uow:
        started = time.perf_counter()
        for i in sample:
            found = uow.customers.find_by_email(_email(i).upper())
            assert found is not None and found.id == i
        elapsed = time.perf_counter() - started
    return lookups / elapsed


def bench_address_lookups(store: SiteStore, customers: int, lookups: int) -> float:
    sample = [random.randint(1, customers) for _ in range(lookups)]
    with store.unit_of_work() as uow:
        started = time.perf_counter()
        for i in sample:
            # Written differently from the stored one: the key normalises it.
            candidate = _address(i)
            candidate = NewAddress(
                name=candidate.name.upper(),
                line1=candidate.line1.replace("Via", "V."),
                postal_code=candidate.postal_code,
                city=candidate.city,
                country_code="it",
            )
            found = uow.customers.find_address(i, candidate)
            assert found is not None
        elapsed = time.perf_counter() - started
    return lookups / elapsed


def bench_order_creation(store: SiteStore, customers: int, orders: int) -> tuple[float, float]:
    """One unit of work (transaction) per order, as the importer does."""
    order_rows = (
        OrderRowData(RowKind.NOTE, 1, None, "Ordine Amazon del 2026-11-20", Decimal(0), Decimal(0), None),
        OrderRowData(RowKind.NOTE, 2, None, "Stato Amazon: UNSHIPPED", Decimal(0), Decimal(0), None),
        OrderRowData(RowKind.ARTICLE, 3, "ART001", "Tazza in ceramica", Decimal(2), Decimal("12.99"), "22"),
        OrderRowData(RowKind.ARTICLE, 4, "ART002", "Piattino", Decimal(1), Decimal("5.50"), "22"),
        OrderRowData(RowKind.SPESA, 5, "SPEDSTD", "Spese di spedizione", Decimal(1), Decimal("4.90"), "22"),
    )
    started = time.perf_counter()
    for n in range(orders):
        customer_id = n % customers + 1
        with store.unit_of_work() as uow:
            uow.orders.create(
                NewOrder(
                    account="bench",
                    marketplace_id="APJ6JRA9NG5V4",
                    amazon_order_id=f"402-{n:07d}-0000000",
                    sezionale=2,
                    sigla=DocumentSigla.OX,
                    fulfillment="MFN",
                    amazon_status="UNSHIPPED",
                    currency="EUR",
                    total_gross=Decimal("36.38"),
                    rows=order_rows,
                    customer_id=customer_id,
                    shipping_address_id=customer_id,
                )
            )
    elapsed = time.perf_counter() - started
    return orders / elapsed, orders * len(order_rows) / elapsed


def bench_import_path(store: SiteStore, customers: int, orders: int) -> float:
    """Existing buyer → match by email → match address → create order: the
    importer's whole store work for one order, per second."""
    started = time.perf_counter()
    for n in range(orders):
        i = n * 7919 % customers + 1
        buyer = NewCustomer(kind=CustomerKind.PRIVATE, name=f"Cliente Numero {i}", email=_email(i))
        with store.unit_of_work() as uow:
            customer = uow.customers.get_or_create(buyer, _address(i)).customer
            address = uow.customers.get_or_add_address(customer.id, _address(i)).address
            uow.orders.create(
                NewOrder(
                    account="bench-import",
                    marketplace_id="APJ6JRA9NG5V4",
                    amazon_order_id=f"403-{n:07d}-0000000",
                    sezionale=3,
                    sigla=DocumentSigla.OX,
                    fulfillment="MFN",
                    amazon_status="UNSHIPPED",
                    currency="EUR",
                    total_gross=Decimal("12.99"),
                    rows=(
                        OrderRowData(
                            RowKind.ARTICLE, 1, "ART001", "Tazza", Decimal(1), Decimal("12.99"), "22"
                        ),
                    ),
                    customer_id=customer.id,
                    shipping_address_id=address.id,
                )
            )
    return orders / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialect", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", help="benchmark this (empty) database instead of a throwaway one")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    random.seed(args.seed)

    with database(args.dialect, args.url) as url:
        engine = make_engine(url)
        migrate(engine)
        store = SiteStore(engine, PiiCipher(generate_key()))
        started = time.perf_counter()
        seed_customers(store, args.customers)
        seeded = time.perf_counter() - started
        email_rate = bench_email_lookups(store, args.customers, args.lookups)
        address_rate = bench_address_lookups(store, args.customers, args.lookups)
        orders_rate, rows_rate = bench_order_creation(store, args.customers, args.orders)
        import_rate = bench_import_path(store, args.customers, min(args.orders, 1_000))
        store.dispose()

    where = f"{engine.dialect.name} ({args.customers:,} customers, seeded in {seeded:.1f} s)"
    print(f"site store benchmark on {where}")
    print(f"  lookups by email hash:    {email_rate:10,.0f} /s  ({args.lookups:,} lookups)")
    print(f"  lookups by address key:   {address_rate:10,.0f} /s  ({args.lookups:,} lookups)")
    print(
        f"  order creation:           {orders_rate:10,.0f} orders/s, {rows_rate:,.0f} rows/s"
        f"  ({args.orders:,} orders x 5 rows, one transaction each)"
    )
    print(f"  import path (match + order): {import_rate:7,.0f} orders/s")


if __name__ == "__main__":
    main()
