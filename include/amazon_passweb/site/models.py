"""SQLAlchemy models of the site store. The schema itself is owned by the Alembic
migrations in ``migrations/versions``; these classes must stay in step with them
(``tests/site/test_migrations.py`` compares the two).

Columns ending in ``_enc`` hold AES-GCM ciphertext (``crypto.PiiCipher``);
columns ending in ``_hash`` hold keyed lookup hashes. Nothing else holds buyer
personal data.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .types import ExactDecimal, UTCDateTime

# Stable constraint names, so migrations can drop them on both dialects.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ACCOUNT = String(64)
HASH = String(64)
MONEY = ExactDecimal(18, 4)
QUANTITY = ExactDecimal(18, 4)
UNIT_PRICE = ExactDecimal(20, 6)  # below types.AMOUNT_LIMIT, as MONEY and QUANTITY


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Customer(Base):
    """An "anagrafica" of the site. An import never overwrites an existing one."""

    __tablename__ = "customers"
    __table_args__ = (
        # Every Amazon customer carries its identity key, also one found or created by email, so the same
        # buyer without email is found again; several email customers may share one. A customer without
        # email is identified by it alone: at most one such customer per identity.
        Index(None, "identity_hash"),
        Index(
            "uq_customers_identity_hash_without_email",
            "identity_hash",
            unique=True,
            sqlite_where=text("email_hash IS NULL"),
            postgresql_where=text("email_hash IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # CustomerKind
    origin: Mapped[str] = mapped_column(String(12))  # Origin
    source_account: Mapped[str | None] = mapped_column(ACCOUNT)
    # Unique where present: a usable email identifies one customer; without one
    # the identity key (VAT / company / name+postcode+street) does.
    email_hash: Mapped[str | None] = mapped_column(HASH, unique=True)
    identity_hash: Mapped[str | None] = mapped_column(HASH)
    email_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    company_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    vat_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    fiscal_code_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    can_login: Mapped[bool] = mapped_column(Boolean, default=False)
    # mastro.conto; shared when the gestionale knows two site customers as one (one company's VAT number
    # for colleagues buying with their own emails)
    gestionale_code: Mapped[str | None] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pii_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Address(Base):
    """A shipping address ("indirizzo di spedizione") of a customer."""

    __tablename__ = "addresses"
    __table_args__ = (UniqueConstraint("customer_id", "key_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    key_hash: Mapped[str | None] = mapped_column(HASH)  # None once purged
    origin: Mapped[str] = mapped_column(String(12))
    name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    line1_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    line2_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    postal_code_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    city_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    province_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    country_code: Mapped[str | None] = mapped_column(String())  # ISO code as Amazon sends it, or what it sent
    gestionale_address_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pii_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Article(Base):
    """An article copied from the gestionale."""

    __tablename__ = "articles"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    description: Mapped[str] = mapped_column(String(255))
    vat_rate: Mapped[str | None] = mapped_column(String(8))  # e.g. "22"
    is_spesa: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GestionaleCustomer(Base):
    """A gestionale customer as the last changed/total sync read it: what the site matches on, and no
    readable personal data (those stay in the gestionale; Amazon buyers' would outlive the purge here)."""

    __tablename__ = "gestionale_customers"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)  # mastro.conto
    kind: Mapped[str] = mapped_column(String(10))  # CustomerKind, from gest_per_fisica
    email_hash: Mapped[str | None] = mapped_column(HASH, index=True)  # as customers.email_hash
    identity_hash: Mapped[str | None] = mapped_column(HASH, index=True)  # a company's vat:<number>, as customers'
    changed_at: Mapped[str | None] = mapped_column(String(15))  # its data_ult_mod, AAAAMMGG HHMMSS
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GestionaleTableRow(Base):
    """A row of a gestionale accessory table (VAT exemptions, payments, currencies) with the fields
    the WebAPI publishes, as JSON; a total or changed sync replaces each table whole."""

    __tablename__ = "gestionale_table_rows"

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)  # e.g. dati-generali/valute
    row_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    data: Mapped[str] = mapped_column(Text)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SkuMapping(Base):
    """Amazon SellerSKU → article code, per account (``*`` = every account).

    No foreign key to ``articles``: a total sync may replace the article table
    while mappings stay."""

    __tablename__ = "sku_mappings"
    __table_args__ = (UniqueConstraint("account", "seller_sku"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(ACCOUNT)
    seller_sku: Mapped[str] = mapped_column(String(64))
    article_code: Mapped[str] = mapped_column(String(32))
    # override the account's standard / express spesa article for orders with this SKU
    shipping_article_code: Mapped[str | None] = mapped_column(String(32))
    shipping_article_express_code: Mapped[str | None] = mapped_column(String(32))


class OrderNumberCounter(Base):
    """Last site order number per sezionale. Incremented in the order's own
    transaction, so a rolled-back order gives its number back."""

    __tablename__ = "order_number_counters"

    sezionale: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("account", "amazon_order_id"),
        UniqueConstraint("sezionale", "number"),
        Index(None, "account", "state"),
        Index(None, "delivered_at"),
        Index(None, "life_ended_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(ACCOUNT)
    marketplace_id: Mapped[str] = mapped_column(String(16))
    amazon_order_id: Mapped[str] = mapped_column(String(32))
    sezionale: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    sigla: Mapped[str] = mapped_column(String(2))  # DocumentSigla
    state: Mapped[str] = mapped_column(String(40))  # OrderState
    fulfillment: Mapped[str] = mapped_column(String(3))  # MFN / AFN
    amazon_status_at_import: Mapped[str] = mapped_column(String(32))
    amazon_status_latest: Mapped[str] = mapped_column(String(32))
    purchase_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Indexed for the purge, which asks "does a live order still use this customer/address?".
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    shipping_address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    total_gross: Mapped[Decimal] = mapped_column(MONEY)
    gestionale_document_key: Mapped[str | None] = mapped_column(String(64))
    import_run_id: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the order's life ended (delivered, or assumed delivered a margin after its confirmed
    # shipment; cancelled): the buyer-data retention clock starts here (purge.py).
    life_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A create for this order (its customer, shipping address or document) whose answer was lost and that
    # a search then did not find: what it was ("customer", "address", "document") and when that POST was
    # sent. The order waits; later pushes search for the record and send it again only once the
    # gestionale client's uncertain_wait_s has passed since then (gestionale/client.py).
    push_uncertain: Mapped[str | None] = mapped_column(String(8))
    push_uncertain_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pii_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OrderRow(Base):
    __tablename__ = "order_rows"
    __table_args__ = (UniqueConstraint("order_id", "line_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))  # RowKind
    article_code: Mapped[str | None] = mapped_column(String(32))  # None for notes
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    unit_price_gross: Mapped[Decimal] = mapped_column(UNIT_PRICE)  # VAT included, as Amazon gives it
    vat_rate: Mapped[str | None] = mapped_column(String(8))
    order_item_id: Mapped[str | None] = mapped_column(String(64))  # Amazon's orderItemId (article rows)
    vat_code: Mapped[str | None] = mapped_column(String(10))  # None: the rate's own code (OrderRowData)


class Shipment(Base):
    """One delivery document of the gestionale for one order, and what Amazon was told of it. ``id`` is
    the package's ``packageReferenceId``: recorded before the call, so a retry edits the same package."""

    __tablename__ = "shipments"
    __table_args__ = (UniqueConstraint("delivery_key", "order_key"), Index(None, "account", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    account: Mapped[str] = mapped_column(ACCOUNT)
    delivery_key: Mapped[str] = mapped_column(String(64))  # "BC/1/123/2026"
    order_key: Mapped[str] = mapped_column(String(64))  # "OX+2+541", the order document it evades
    document_date: Mapped[date] = mapped_column(Date)
    carrier_code: Mapped[str | None] = mapped_column(String(32))  # the gestionale's cod_vettore
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    items: Mapped[str] = mapped_column(Text)  # JSON: [{"order_item_id", "quantity", "line_no"}]
    matched_by: Mapped[str] = mapped_column(String(8))  # "row", "article" or "none"
    fingerprint: Mapped[str] = mapped_column(String(64))  # of the document's data: a change re-sends
    status: Mapped[str] = mapped_column(String(16))  # ShipmentStatus
    last_error: Mapped[str | None] = mapped_column(Text)  # Italian, for the operator
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InboxEntry(Base):
    """The latest raw Amazon payload of one order, waiting for or done with import."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("account", "amazon_order_id"),
        Index(None, "account", "status", "last_update", "id"),  # the steps' batches, in update order
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(ACCOUNT)
    amazon_order_id: Mapped[str] = mapped_column(String(32))
    marketplace_id: Mapped[str | None] = mapped_column(String(16))
    amazon_status: Mapped[str | None] = mapped_column(String(32))  # selection without decrypting
    last_update: Mapped[datetime] = mapped_column(UTCDateTime)
    payload_enc: Mapped[bytes | None] = mapped_column(LargeBinary)  # None once purged
    status: Mapped[str] = mapped_column(String(16))  # InboxStatus
    last_error: Mapped[str | None] = mapped_column(Text)  # Italian, for the operator (notify.messages)
    last_error_detail: Mapped[str | None] = mapped_column(Text)  # its technical detail, for the log and CSV
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    # Set by the reconcile step, read by order creation and the run report.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    shipping_address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id", ondelete="SET NULL"))
    customer_new: Mapped[bool] = mapped_column(Boolean, default=False)
    address_new: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InboxHistory(Base):
    """One line per processing outcome of an Amazon order (never updated)."""

    __tablename__ = "inbox_history"
    __table_args__ = (Index(None, "account", "amazon_order_id"), Index(None, "account", "run_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(ACCOUNT)
    amazon_order_id: Mapped[str] = mapped_column(String(32))
    run_id: Mapped[str | None] = mapped_column(String(250))
    outcome: Mapped[str] = mapped_column(String(16))
    message: Mapped[str | None] = mapped_column(Text)  # Italian, for the operator (notify.messages)
    detail: Mapped[str | None] = mapped_column(Text)  # its technical detail, for the log and CSV
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccountState(Base):
    """Per-account state; ``watermark`` is "Data Ultima Sincronizzazione Ordini"."""

    __tablename__ = "account_state"

    account: Mapped[str] = mapped_column(ACCOUNT, primary_key=True)
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime)
    watermark_set_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ImportRun(Base):
    __tablename__ = "import_runs"
    __table_args__ = (
        # At most one running import per account, enforced by the database.
        Index(
            "uq_import_runs_one_running",
            "account",
            unique=True,
            sqlite_where=text("outcome = 'running'"),
            postgresql_where=text("outcome = 'running'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(ACCOUNT, index=True)
    run_id: Mapped[str | None] = mapped_column(String(250))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))  # RunOutcome
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    selected: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    pushed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)


class SyncRun(Base):
    __tablename__ = "sync_runs"
    __table_args__ = (
        # A changed and a total sync never run together (domain.md §6): the
        # indexed expression is the same for every running one, so only one fits.
        Index(
            "uq_sync_runs_one_exclusive",
            "outcome",
            unique=True,
            sqlite_where=text("outcome = 'running' AND sync_type IN ('changed', 'total')"),
            postgresql_where=text("outcome = 'running' AND sync_type IN ('changed', 'total')"),
        ),
        Index(None, "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sync_type: Mapped[str] = mapped_column(String(8))  # SyncType
    run_id: Mapped[str | None] = mapped_column(String(250))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))  # RunOutcome
    counted: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str | None] = mapped_column(Text)
    # The gestionale's clock (AAAAMMGG HHMMSS) when a changed/total sync began reading: the next
    # changed one reads what the gestionale changed from then on.
    gestionale_time: Mapped[str | None] = mapped_column(String(15))


class OrderCancellation(Base):
    """What Amazon says about cancelling an imported order (domain.md §7), one row per order.

    ``status``: ``pending`` (Amazon cancelled it, the gestionale document is still to annul: the
    intent, written before any request, so a crash or a lost answer never loses or doubles it),
    ``applied`` (the order is Annullato), ``after_shipping`` (cancelled after a delivery document
    evaded it: the operator handles the return); None while only the buyer asked.
    ``requested_at``: when the buyer's request to cancel was first seen."""

    __tablename__ = "order_cancellations"
    __table_args__ = (Index(None, "account", "status"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    account: Mapped[str] = mapped_column(ACCOUNT)
    status: Mapped[str | None] = mapped_column(String(16))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first seen cancelled
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # applied or alerted
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    request_reason: Mapped[str | None] = mapped_column(String(100))  # Amazon's reason code, no buyer data


class GestionaleLease(Base):
    """The exclusive right to write to the gestionale with one WebAPI user (importer/write_lease.py): one
    row per user identity (``WebApiSettings.writer_key``, a hash: never the password), taken by one push
    at a time, renewed while it runs, released at its end; a holder that stops renewing loses it at
    ``expires_at``."""

    __tablename__ = "gestionale_leases"

    lease_key: Mapped[str] = mapped_column(HASH, primary_key=True)
    holder: Mapped[str] = mapped_column(String(250))  # run id, step, host and process of the push
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SiteSetting(Base):
    """A named value about the database itself: ``pii_key_fingerprint``, the fingerprint of the key
    that encrypts its buyer data (``key_check.py``; never the key)."""

    __tablename__ = "site_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccountNotifications(Base):
    """Amazon's ORDER_CHANGE notifications an account's event runs received (``site/notifications.py``):
    when the last batch arrived, the newest change it named, how many in all. Counts and times only:
    which orders were named is in the import runs' records."""

    __tablename__ = "account_notifications"

    account: Mapped[str] = mapped_column(ACCOUNT, primary_key=True)
    last_received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # Amazon's EventTime, the newest
    received_total: Mapped[int] = mapped_column(Integer)
    # the newest Airflow asset event consumed (its id and time): event runs read every later one
    asset_event_id: Mapped[int | None] = mapped_column(BigInteger)
    asset_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
