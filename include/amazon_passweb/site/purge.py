"""Remove buyer personal data that Amazon no longer lets us keep (domain.md §7).

Amazon's data protection policy allows keeping buyer data only until shortly after delivery.
The clock starts when an order's life ends, recorded by the product's own flows, never guessed
here:

- **delivered**: ``orders.life_ended_at``, set by the shipment step when the order becomes
  Spedito: the moment Amazon reports every package DELIVERED, else the confirmation date +
  ``delivery_margin_days`` (accounts file, default 10); ``delivered_at`` when Amazon gave one;
- **cancelled or refunded**: ``life_ended_at``, set when the cancellation flow makes it Annullato;
- **never importable**: an inbox entry failed, rejected or skipped: its last update.

``purge_buyer_data`` erases, ``older_than_days`` after that end: the order's buyer data mark
(``pii_purged_at``), the encrypted raw Amazon payload of its inbox entry and of every failed,
rejected or skipped entry, then Amazon-created customers and addresses that no longer serve a
live order. What tax law needs stays: the order, its number, rows, amounts and VAT, the
gestionale codes (the gestionale's documents are never touched), and for a company its name and
VAT number (business data, on every invoice). Customers and addresses that came from the site or
the gestionale are never touched. On SQLite the erased bytes are overwritten (``secure_delete``)
and the write-ahead log is emptied, so no copy stays in the file. Running it twice changes
nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select, update

from ._sql import utcnow
from .models import Address, Customer, InboxEntry, Order
from .states import CustomerKind, InboxStatus, Origin
from .unit_of_work import SiteStore

DEFAULT_RETENTION_DAYS = 30
ORDERS = Order.__table__
INBOX = InboxEntry.__table__
ADDRESSES = Address.__table__
CUSTOMERS = Customer.__table__

# Inbox entries that never became an order: their life ends with their last update.
NEVER_IMPORTED = (InboxStatus.FAILED.value, InboxStatus.REJECTED.value, InboxStatus.SKIPPED.value)


@dataclass(frozen=True)
class PurgeReport:
    orders: int
    inbox_payloads: int
    addresses: int
    customers: int


def purge_buyer_data(
    store: SiteStore, *, older_than_days: int = DEFAULT_RETENTION_DAYS, now: datetime | None = None
) -> PurgeReport:
    now = now or utcnow()
    cutoff = now - timedelta(days=older_than_days)
    with store.unit_of_work() as uow:
        session = uow.active_session

        expired = _expired_orders(cutoff)
        orders = session.execute(update(ORDERS).where(expired).values(pii_purged_at=now)).rowcount

        # The raw Amazon payload (encrypted, with the buyer's data): of purged orders, and of
        # entries that never became an order.
        purged_order = exists().where(
            ORDERS.c.account == INBOX.c.account,
            ORDERS.c.amazon_order_id == INBOX.c.amazon_order_id,
            ORDERS.c.pii_purged_at.is_not(None),
        )
        never_imported = and_(INBOX.c.status.in_(NEVER_IMPORTED), INBOX.c.updated_at < cutoff)
        inbox_payloads = session.execute(
            update(INBOX)
            .where(INBOX.c.payload_enc.is_not(None), or_(purged_order, never_imported))
            .values(payload_enc=None, updated_at=now)
        ).rowcount

        address_in_use = exists().where(
            ORDERS.c.shipping_address_id == ADDRESSES.c.id, ORDERS.c.pii_purged_at.is_(None)
        )
        addresses = session.execute(
            update(ADDRESSES)
            .where(
                ADDRESSES.c.origin == Origin.AMAZON.value,
                ADDRESSES.c.pii_purged_at.is_(None),
                ADDRESSES.c.created_at < cutoff,
                not_(address_in_use),
            )
            .values(
                key_hash=None,
                name_enc=None,
                line1_enc=None,
                line2_enc=None,
                postal_code_enc=None,
                city_enc=None,
                province_enc=None,
                phone_enc=None,
                pii_purged_at=now,
            )
        ).rowcount

        customer_in_use = exists().where(
            ORDERS.c.customer_id == CUSTOMERS.c.id, ORDERS.c.pii_purged_at.is_(None)
        )
        purgeable = and_(
            CUSTOMERS.c.origin == Origin.AMAZON.value,
            CUSTOMERS.c.pii_purged_at.is_(None),
            CUSTOMERS.c.created_at < cutoff,
            not_(customer_in_use),
        )
        personal = {
            "email_enc": None,
            "email_hash": None,
            "name_enc": None,
            "phone_enc": None,
            "fiscal_code_enc": None,
            "pii_purged_at": now,
        }
        # A private buyer's identity key is built from name and address: personal.
        private = session.execute(
            update(CUSTOMERS)
            .where(purgeable, CUSTOMERS.c.kind == CustomerKind.PRIVATE.value)
            .values(**personal, identity_hash=None, company_enc=None, vat_number_enc=None)
        ).rowcount
        # A company keeps its name, VAT number and VAT-based identity.
        companies = session.execute(
            update(CUSTOMERS)
            .where(purgeable, CUSTOMERS.c.kind == CustomerKind.COMPANY.value)
            .values(**personal)
        ).rowcount
    _drop_old_copies(store)
    return PurgeReport(
        orders=orders, inbox_payloads=inbox_payloads, addresses=addresses, customers=private + companies
    )


def _expired_orders(cutoff: datetime) -> ColumnElement[bool]:
    """Orders whose life ended (delivered, assumed delivered, cancelled) before ``cutoff`` and whose
    buyer data is not yet erased. An open order (not shipped, not cancelled) never expires."""
    return and_(
        ORDERS.c.pii_purged_at.is_(None),
        or_(ORDERS.c.life_ended_at < cutoff, ORDERS.c.delivered_at < cutoff),
    )


def orders_awaiting_purge(store: SiteStore, *, older_than_days: int = DEFAULT_RETENTION_DAYS) -> int:
    """How many orders the next purge would touch (for reports and monitoring)."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    with store.unit_of_work() as uow:
        return uow.active_session.execute(
            select(func.count()).select_from(ORDERS).where(_expired_orders(cutoff))
        ).scalar_one()


def _drop_old_copies(store: SiteStore) -> None:
    """SQLite keeps the pages written before the erasure in its write-ahead log until a
    checkpoint: empty it, so the erased ciphertext is gone from the disk too. (PostgreSQL's old
    row versions are reclaimed by autovacuum and never readable through SQL.)"""
    if store.engine.dialect.name == "sqlite":
        raw = store.engine.raw_connection()  # outside a transaction, as a checkpoint must be
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
