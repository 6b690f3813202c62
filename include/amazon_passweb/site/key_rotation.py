"""Moving the site database's buyer data to a new PII key (``python -m amazon_passweb.site rotate-key``).

Every encrypted column (``pii_columns.ENCRYPTED``) is decrypted with the old key and encrypted with
the new one; every lookup hash (``pii_columns.LOOKUP_HASHES``) is made again with the new key from
the values it was made of:

- ``customers.email_hash`` and ``addresses.key_hash``: from the decrypted email and address, with
  today's normalisation (what every lookup computes from now on);
- ``customers.identity_hash`` (the buyer's fallback identity, domain.md §4): it was made from the
  order that found or created the customer, so the candidates the stored data allows (the
  customer's own fields with each of its addresses) are tried against the old hash, and the one
  that matches is hashed with the new key. None matches only when that data is gone (a purged
  customer's erased address) or never stored: the key is dropped, never guessed, and counted;
- ``gestionale_customers``: its hashes come from the gestionale, whose data the site does not
  keep; the copy is emptied and the next site–gestionale sync reads every customer again.

All of it is one transaction, with the key's fingerprint updated last: interrupted at any point
(a crash, Ctrl-C, a lost connection) it leaves the database exactly as it was, on the old key,
and it can simply be run again. Batches committed one by one would leave a database half on each
key, which no single configured key can use. Writers wait meanwhile (SQLite: the database's write
lock; PostgreSQL: the tables holding keyed data are locked against writes, reads go on), and the
rotation refuses to start while an import or a sync is running.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from sqlalchemy import Connection, Engine, Row, Table, bindparam, delete, select, update
from sqlalchemy.exc import OperationalError

from amazon_passweb.orders.identity import usable_email

from .crypto import PiiCipher, describe_fingerprint
from .errors import StoreError
from .key_check import exclude_writers, mismatch, recorded_fingerprint, set_fingerprint, verify_decrypts
from .models import Address, Customer, GestionaleCustomer, ImportRun, InboxEntry, SyncRun
from .pii_columns import ENCRYPTED
from .records import NewAddress, NewCustomer
from .states import CustomerKind, RunOutcome

CUSTOMERS = Customer.__table__
ADDRESSES = Address.__table__
INBOX = InboxEntry.__table__
GESTIONALE_CUSTOMERS = GestionaleCustomer.__table__
IMPORTS = ImportRun.__table__
SYNCS = SyncRun.__table__
BATCH_SIZE = 500
_LOCK_TIMEOUT = "30s"


class RotationRefused(StoreError):
    """The rotation did not start (or was undone): the database is unchanged, on its old key."""


class AlreadyOnNewKey(StoreError):
    """The database already records the new key's fingerprint: nothing to do."""


@dataclass
class RotationReport:
    old_fingerprint: str
    new_fingerprint: str
    rows: Counter[str] = field(default_factory=Counter)  # table → rows holding encrypted values
    values: Counter[str] = field(default_factory=Counter)  # table → values re-encrypted
    hashes: Counter[str] = field(default_factory=Counter)  # "table.column" → hashes made with the new key
    renormalised: Counter[str] = field(default_factory=Counter)  # of those, made by older normalisation rules
    dropped: Counter[str] = field(default_factory=Counter)  # "table.column" → hashes that could not be rebuilt
    gestionale_customers_removed: int = 0
    dry_run: bool = False


def rotate_key(engine: Engine, old: PiiCipher, new: PiiCipher, *, dry_run: bool = False,
               ignore_open_runs: bool = False, batch_size: int = BATCH_SIZE) -> RotationReport:
    """Re-encrypt and re-hash everything with ``new`` in one transaction; ``dry_run`` does it all
    and rolls back. Raises :class:`RotationRefused` (or ``key_check.KeyMismatch`` when ``old`` is not
    the database's key, :class:`AlreadyOnNewKey` when ``new`` already is)."""
    if old.fingerprint == new.fingerprint:
        raise RotationRefused("the new key is the key already configured: generate a new one "
                              "(`python -m amazon_passweb.site generate-key`)")
    report = RotationReport(old.fingerprint, new.fingerprint, dry_run=dry_run)
    with engine.connect() as conn:
        transaction = conn.begin()  # SQLite: BEGIN IMMEDIATE, the database's write lock
        try:
            _lock(conn)
            _check_start(conn, old, new, ignore_open_runs)
            _rotate_customers(conn, old, new, report, batch_size)
            _rotate_inbox(conn, old, new, report, batch_size)
            report.gestionale_customers_removed = _forget_gestionale_customers(conn)
            set_fingerprint(conn, new.fingerprint)
        except BaseException:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    return report


def _lock(conn: Connection) -> None:
    """No other writer until the end: SQLite's write lock is already held (BEGIN IMMEDIATE); on
    PostgreSQL every writing unit of work holds the key's advisory lock shared, taken here exclusively."""
    if conn.dialect.name != "postgresql":
        return
    try:
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{_LOCK_TIMEOUT}'")
        exclude_writers(conn)
    except OperationalError as error:
        raise RotationRefused(f"writes to the site database went on for {_LOCK_TIMEOUT}: pause the DAGs "
                              "and try again") from error


def _check_start(conn: Connection, old: PiiCipher, new: PiiCipher, ignore_open_runs: bool) -> None:
    recorded = recorded_fingerprint(conn)
    if recorded == new.fingerprint:
        raise AlreadyOnNewKey(f"the site database is already on the new key (fingerprint "
                              f"{describe_fingerprint(recorded)}): configure it as SITE_PII_KEY / pii_key")
    if recorded is not None and recorded != old.fingerprint:
        raise mismatch(recorded, old.fingerprint)
    if recorded is None:
        verify_decrypts(conn, old)
    if ignore_open_runs:
        return
    open_runs = [f"import of {account} (run {run_id})" for account, run_id in conn.execute(
        select(IMPORTS.c.account, IMPORTS.c.run_id).where(IMPORTS.c.outcome == RunOutcome.RUNNING.value))]
    open_runs += [f"{sync_type} sync (run {run_id})" for sync_type, run_id in conn.execute(
        select(SYNCS.c.sync_type, SYNCS.c.run_id).where(SYNCS.c.outcome == RunOutcome.RUNNING.value))]
    if open_runs:
        raise RotationRefused(
            f"runs are in progress: {'; '.join(open_runs)}. Pause the DAGs and wait for them to end (a run "
            "writing with the old key meanwhile would be unreadable); if one was left open by a killed "
            "worker, run again with --ignore-open-runs")


def _batches(conn: Connection, table: Table, columns: Sequence, batch_size: int, *where) -> Iterator[list[Row]]:
    """The table's rows in id order, ``batch_size`` at a time (keyset: no offset to rescan)."""
    last = 0
    while True:
        rows = conn.execute(select(table.c.id, *columns).where(table.c.id > last, *where)
                            .order_by(table.c.id).limit(batch_size)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


class _Recrypt:
    """Decrypts a table's values with the old key and encrypts them with the new one."""

    def __init__(self, table: Table, old: PiiCipher, new: PiiCipher, report: RotationReport) -> None:
        self.table, self.old, self.new, self.report = table, old, new, report
        self.purposes = ENCRYPTED[table.name]

    def row(self, row: Row) -> tuple[dict[str, str | None], dict[str, bytes | None]]:
        """The row's values in clear (by column) and encrypted with the new key (by ``b_`` parameter)."""
        clear: dict[str, str | None] = {}
        params: dict[str, bytes | None] = {}
        for column, purpose in self.purposes.items():
            blob = row._mapping[column]
            try:
                clear[column] = self.old.decrypt(blob, purpose)
            except (InvalidTag, ValueError):
                raise RotationRefused(
                    f"{self.table.name} row {row.id} ({column}) cannot be decrypted with the configured key: "
                    "the database holds data written with another key; nothing was changed") from None
            params[f"b_{column}"] = self.new.encrypt(clear[column], purpose)
            self.report.values[self.table.name] += blob is not None
        self.report.rows[self.table.name] += 1
        return clear, params

    def statement(self, *extra: str) -> object:
        """UPDATE … SET every encrypted column (and ``extra`` ones) WHERE id = :b_id."""
        columns = [*self.purposes, *extra]
        return update(self.table).where(self.table.c.id == bindparam("b_id")).values(
            {column: bindparam(f"b_{column}") for column in columns})


def _rotate_customers(conn: Connection, old: PiiCipher, new: PiiCipher, report: RotationReport,
                      batch_size: int) -> None:
    """Customers with their addresses, a batch of customers at a time: a customer's identity is
    rebuilt from its addresses in clear. Every address belongs to one customer."""
    customers = _Recrypt(CUSTOMERS, old, new, report)
    addresses = _Recrypt(ADDRESSES, old, new, report)
    hashes = _Hashes(old, new, report)
    customer_columns = [CUSTOMERS.c.kind, CUSTOMERS.c.email_hash, CUSTOMERS.c.identity_hash,
                        *(CUSTOMERS.c[name] for name in customers.purposes)]
    for batch in _batches(conn, CUSTOMERS, customer_columns, batch_size):
        by_customer: dict[int, list[NewAddress]] = {row.id: [] for row in batch}
        address_updates = []
        for row in conn.execute(select(ADDRESSES).where(ADDRESSES.c.customer_id.in_(by_customer))
                                .order_by(ADDRESSES.c.id)):
            clear, params = addresses.row(row)
            address = _address(clear, row.country_code)
            by_customer[row.customer_id].append(address)
            params.update(b_id=row.id, b_key_hash=hashes.address_key(address, row.key_hash))
            address_updates.append(params)
        customer_updates = []
        for row in batch:
            clear, params = customers.row(row)
            params.update(
                b_id=row.id,
                b_email_hash=hashes.email(clear["email_enc"], row.email_hash),
                b_identity_hash=hashes.identity(_customer(clear, row.kind), by_customer[row.id], row.identity_hash),
            )
            customer_updates.append(params)
        if address_updates:
            conn.execute(addresses.statement("key_hash"), address_updates)
        conn.execute(customers.statement("email_hash", "identity_hash"), customer_updates)


def _rotate_inbox(conn: Connection, old: PiiCipher, new: PiiCipher, report: RotationReport,
                  batch_size: int) -> None:
    inbox = _Recrypt(INBOX, old, new, report)
    for batch in _batches(conn, INBOX, [INBOX.c.payload_enc], batch_size, INBOX.c.payload_enc.is_not(None)):
        updates = []
        for row in batch:
            _clear, params = inbox.row(row)
            updates.append({**params, "b_id": row.id})
        conn.execute(inbox.statement(), updates)


def _forget_gestionale_customers(conn: Connection) -> int:
    """Empty the copy of the gestionale's customers (hashes of data the site does not keep) and make
    the next sync read them all again, as the site's first one does."""
    removed = conn.execute(delete(GESTIONALE_CUSTOMERS)).rowcount
    if removed:
        conn.execute(update(SYNCS).where(SYNCS.c.gestionale_time.is_not(None)).values(gestionale_time=None))
    return removed


class _Hashes:
    """The lookup hashes made again with the new key; a stored None stays None."""

    def __init__(self, old: PiiCipher, new: PiiCipher, report: RotationReport) -> None:
        self.old, self.new, self.report = old, new, report

    def _remake(self, name: str, value: str | None, purpose: str, stored: str | None) -> str | None:
        if stored is None:
            return None
        if value is None:
            self.report.dropped[name] += 1
            return None
        self.report.hashes[name] += 1
        self.report.renormalised[name] += self.old.lookup_hash(value, purpose) != stored
        return self.new.lookup_hash(value, purpose)

    def email(self, email: str | None, stored: str | None) -> str | None:
        return self._remake("customers.email_hash", usable_email(email), "customer.email", stored)

    def address_key(self, address: NewAddress, stored: str | None) -> str | None:
        return self._remake("addresses.key_hash", address.key(), "address.key", stored)

    def identity(self, customer: NewCustomer, addresses: list[NewAddress], stored: str | None) -> str | None:
        """The candidate whose old hash is the stored one, hashed with the new key; None if none is."""
        if stored is None:
            return None
        for candidate in _identity_candidates(customer, addresses):
            if self.old.lookup_hash(candidate, "customer.identity") == stored:
                self.report.hashes["customers.identity_hash"] += 1
                return self.new.lookup_hash(candidate, "customer.identity")
        self.report.dropped["customers.identity_hash"] += 1
        return None


def _identity_candidates(customer: NewCustomer, addresses: list[NewAddress]) -> Iterator[str]:
    """The identities the stored data allows, the likeliest first: the customer with its first
    address (the order that created it), then with each other one, without its own name (a later
    order's recipient), and as the other kind (an order of another kind that found it by email)."""
    seen: set[str] = set()
    other_kind = CustomerKind.PRIVATE if customer.kind is CustomerKind.COMPANY else CustomerKind.COMPANY
    variants = [customer, NewCustomer(kind=customer.kind, company=customer.company, vat_number=customer.vat_number),
                NewCustomer(kind=other_kind, name=customer.name, company=customer.company,
                            vat_number=customer.vat_number)]
    for variant in variants:
        for address in [*addresses, None]:
            identity = variant.identity(address)
            if identity is not None and identity not in seen:
                seen.add(identity)
                yield identity


def _customer(clear: dict[str, str | None], kind: str) -> NewCustomer:
    return NewCustomer(kind=CustomerKind(kind), name=clear["name_enc"], company=clear["company_enc"],
                       vat_number=clear["vat_number_enc"], email=clear["email_enc"])


def _address(clear: dict[str, str | None], country_code: str | None) -> NewAddress:
    return NewAddress(name=clear["name_enc"], line1=clear["line1_enc"], line2=clear["line2_enc"],
                      postal_code=clear["postal_code_enc"], city=clear["city_enc"], country_code=country_code)
