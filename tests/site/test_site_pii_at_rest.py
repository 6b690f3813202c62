"""Buyer personal data must never reach the database in clear."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from site_builders import order
from sqlalchemy import make_url, select, text

from amazon_passweb.site import CustomerKind, InboxItem, NewAddress, NewCustomer, SiteStore
from amazon_passweb.site.models import Base
from tests.fixtures.sqlite_files import database_bytes

EMAIL = "ermenegildo.pescatori@example.com"
NAME = "Ermenegildo Pescatori"
STREET = "Via Quintino Sella 42"
PHONE = "+39 347 5551234"
SECRETS = [EMAIL, NAME, STREET, PHONE, "Pescatori", "Quintino Sella"]


def _store_a_buyer(store: SiteStore) -> None:
    buyer = NewCustomer(kind=CustomerKind.PRIVATE, name=NAME, email=EMAIL, phone=PHONE, fiscal_code="PSCRMN80A01F205X")
    ship_to = NewAddress(name=NAME, line1=STREET, postal_code="10121", city="Torino", country_code="IT", phone=PHONE)
    payload = {
        "buyerInfo": {"buyerEmail": EMAIL, "buyerName": NAME},
        "shippingAddress": {"addressLine1": STREET},
    }
    with store.unit_of_work() as uow:
        customer = uow.customers.get_or_create(buyer, ship_to).customer
        address = uow.customers.get_or_add_address(customer.id, ship_to).address
        uow.orders.create(order("PII-1", customer_id=customer.id, address_id=address.id))
        uow.inbox.upsert("it_main", InboxItem("PII-1", datetime(2026, 11, 20, tzinfo=UTC), payload))
        # Sanity: the data is there, readable through the store.
        assert uow.customers.get(customer.id).email == EMAIL


def _sqlite_bytes(store: SiteStore) -> bytes:
    return database_bytes(Path(make_url(str(store.engine.url)).database))


def _postgres_bytes(store: SiteStore) -> bytes:
    """Every stored value (bytea as raw bytes), plus the table files themselves
    when this machine can read the server's data directory."""
    chunks: list[bytes] = []
    with store.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        chunks.append(bytes(value))
                    elif value is not None:
                        chunks.append(str(value).encode())
        conn.execute(text("CHECKPOINT"))
        data_dir = conn.execute(text("SHOW data_directory")).scalar_one()
        oid = conn.execute(text("SELECT oid FROM pg_database WHERE datname = current_database()")).scalar_one()
    base = Path(data_dir) / "base" / str(oid)
    if os.access(base, os.R_OK | os.X_OK):
        chunks.extend(p.read_bytes() for p in base.iterdir() if p.is_file())
    return b"\n".join(chunks)


def test_no_buyer_email_name_street_or_phone_in_clear(store: SiteStore) -> None:
    _store_a_buyer(store)
    raw = _sqlite_bytes(store) if store.engine.dialect.name == "sqlite" else _postgres_bytes(store)
    assert b"PII-1" in raw  # the scan does see the stored rows (order ids are not personal data)
    lowered = raw.lower()
    for secret in SECRETS:
        assert secret.lower().encode() not in lowered, f"{secret!r} found in clear in the database"
