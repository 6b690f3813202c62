"""Customers ("anagrafiche") and their shipping addresses.

Matching (domain.md §4): a usable email finds the customer; without one (absent
or the shared Amazon Business address) the fallback identity does. Every customer
an order finds or creates carries that order's identity key (an existing one
without a key gets it, the only column an import ever sets on it), so a buyer
first known by email is found again when Amazon drops the email; of several
customers with one identity, the oldest. An existing customer's data is never
modified by an import. Inserts use ON CONFLICT DO NOTHING and
re-read, so two processes meeting the same new buyer end with one customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import Session

from amazon_passweb.orders.identity import usable_email

from ._sql import dialect_name, per_dialect, utcnow
from .crypto import PiiCipher
from .errors import NotFound, StoreError, UnidentifiableBuyer
from .models import Address, Customer
from .pii_columns import ADDRESS_PII as _ADDRESS_PII
from .pii_columns import CUSTOMER_PII as _CUSTOMER_PII
from .records import (
    AddressMatch,
    AddressRecord,
    BuyerKey,
    CustomerMatch,
    CustomerRecord,
    NewAddress,
    NewCustomer,
    Resolved,
)
from .states import CustomerKind, Origin

CUSTOMERS = Customer.__table__
ADDRESSES = Address.__table__

# Built once: lookups are the importer's hottest path (one or two per order).
_BY_EMAIL = select(CUSTOMERS).where(CUSTOMERS.c.email_hash == bindparam("key"))
_BY_IDENTITY = select(CUSTOMERS).where(CUSTOMERS.c.identity_hash == bindparam("key")).order_by(CUSTOMERS.c.id)
_BY_ID = select(CUSTOMERS).where(CUSTOMERS.c.id == bindparam("key"))
_ADDRESS_BY_KEY = select(ADDRESSES).where(
    ADDRESSES.c.customer_id == bindparam("customer_id"), ADDRESSES.c.key_hash == bindparam("key")
)
_IDS_BY_KEY = {
    column: select(CUSTOMERS.c.id, CUSTOMERS.c[column], CUSTOMERS.c.identity_hash).where(
        CUSTOMERS.c[column].in_(bindparam("keys", expanding=True))).order_by(CUSTOMERS.c.id)
    for column in ("email_hash", "identity_hash")
}
_STAMP_IDENTITY = update(CUSTOMERS).where(
    CUSTOMERS.c.id == bindparam("b_id"), CUSTOMERS.c.identity_hash.is_(None)
).values(identity_hash=bindparam("b_identity"))
_ADDRESS_IDS = select(ADDRESSES.c.id, ADDRESSES.c.customer_id, ADDRESSES.c.key_hash).where(
    ADDRESSES.c.customer_id.in_(bindparam("customers", expanding=True)),
    ADDRESSES.c.key_hash.in_(bindparam("keys", expanding=True)),
)
# ON CONFLICT DO NOTHING: a buyer or address created meanwhile by another transaction is re-read.
_INSERT_CUSTOMER = per_dialect(lambda dialect: dialect.insert(CUSTOMERS).on_conflict_do_nothing().returning(
    CUSTOMERS.c.id, CUSTOMERS.c.email_hash, CUSTOMERS.c.identity_hash))
_INSERT_ADDRESS = per_dialect(lambda dialect: dialect.insert(ADDRESSES).on_conflict_do_nothing().returning(
    ADDRESSES.c.id, ADDRESSES.c.customer_id, ADDRESSES.c.key_hash))


class CustomerRepository:
    def __init__(self, session: Session, cipher: PiiCipher) -> None:
        self._session = session
        self._cipher = cipher

    # -- lookups -----------------------------------------------------------

    def email_hash(self, email: str) -> str:
        return self._cipher.lookup_hash(email, "customer.email")

    def identity_hash(self, identity: str) -> str:
        return self._cipher.lookup_hash(identity, "customer.identity")

    def address_hash(self, key: str) -> str:
        return self._cipher.lookup_hash(key, "address.key")

    def get(self, customer_id: int) -> CustomerRecord:
        row = self._query(_BY_ID, key=customer_id)
        if row is None:
            raise NotFound(f"customer {customer_id} does not exist")
        return self._customer(row)

    def many(self, customer_ids: Sequence[int]) -> dict[int, CustomerRecord]:
        """Customer id → its record, in one query (:meth:`get` for a batch); unknown ids are absent."""
        ids = sorted(set(customer_ids))
        if not ids:
            return {}
        rows = self._session.execute(select(CUSTOMERS).where(CUSTOMERS.c.id.in_(ids)))
        return {record.id: record for record in map(self._customer, rows)}

    def gestionale_codes(self, customer_ids: Sequence[int]) -> dict[int, str | None]:
        """Customer id → its gestionale code, in one query and without decrypting any buyer data."""
        ids = list(set(customer_ids))
        if not ids:
            return {}
        rows = self._session.execute(
            select(CUSTOMERS.c.id, CUSTOMERS.c.gestionale_code).where(CUSTOMERS.c.id.in_(ids)))
        return {customer_id: code for customer_id, code in rows}

    def find_by_email(self, email: str | None) -> CustomerRecord | None:
        """The customer with this email (trimmed, case-insensitive); None for a
        missing or shared email, which never identifies a buyer."""
        email = usable_email(email)
        if email is None:
            return None
        return self._one(_BY_EMAIL, self.email_hash(email))

    def find_by_identity(self, customer: NewCustomer, address: NewAddress | None) -> CustomerRecord | None:
        identity = customer.identity(address)
        if identity is None:
            return None
        return self._one(_BY_IDENTITY, self.identity_hash(identity))

    def _query(self, statement: object, **params: object) -> Row | None:
        # Through the session's connection: same transaction, without the ORM's per-call overhead.
        return self._session.connection().execute(statement, params).first()

    def _one(self, statement: object, key: str) -> CustomerRecord | None:
        row = self._query(statement, key=key)
        return self._customer(row) if row is not None else None

    # -- creation ----------------------------------------------------------

    def buyer_key(self, customer: NewCustomer, address: NewAddress | None = None) -> BuyerKey:
        """What identifies the buyer: the usable email, else the fallback identity.

        Raises ``UnidentifiableBuyer`` when there is neither (e.g. an AFN order without buyer data).
        """
        identity = customer.identity(address)
        identity_hash = self.identity_hash(identity) if identity is not None else None
        email = customer.match_email()
        if email is not None:
            return BuyerKey("email_hash", self.email_hash(email), "email", identity_hash)
        if identity_hash is None:
            raise UnidentifiableBuyer(
                "the buyer has no usable email and no name/address or VAT number to identify them"
            )
        return BuyerKey("identity_hash", identity_hash, "identity", identity_hash)

    def get_or_create(self, customer: NewCustomer, address: NewAddress | None = None) -> CustomerMatch:
        """Find the buyer or create them; never overwrites an existing customer.

        Raises ``UnidentifiableBuyer`` when there is neither a usable email nor
        a fallback identity (e.g. an AFN order without buyer data).
        """
        key = self.buyer_key(customer, address)
        resolved = self.get_or_create_many([(customer, key)])[0]
        if resolved.created:
            return CustomerMatch(self.get(resolved.id), created=True, matched_by="new")
        return CustomerMatch(self.get(resolved.id), created=False, matched_by=key.matched_by)

    def get_or_create_many(self, buyers: Sequence[tuple[NewCustomer, BuyerKey]]) -> list[Resolved]:
        """:meth:`get_or_create` for a batch: one lookup per key kind, one INSERT for the new buyers.
        Results follow ``buyers``; of several entries of one new buyer only the first is ``created``."""
        found, without_identity = self._customer_ids({(key.column, key.hash) for _, key in buyers})
        new: dict[tuple[str, str], tuple[NewCustomer, BuyerKey]] = {}
        for customer, key in buyers:
            if (key.column, key.hash) not in found:
                new.setdefault((key.column, key.hash), (customer, key))
        created: set[tuple[str, str]] = set()
        if new:
            now = utcnow()
            # In key order: concurrent batches meeting the same new buyers lock them in the same order
            # (on PostgreSQL the second waits for the first instead of deadlocking).
            inserted = self._session.connection().execute(_INSERT_CUSTOMER[dialect_name(self._session)], [
                self._customer_values(customer, key, now)
                for _, (customer, key) in sorted(new.items(), key=lambda item: item[0])
            ])
            for customer_id, email_hash, identity_hash in inserted:
                key = ("email_hash", email_hash) if email_hash is not None else ("identity_hash", identity_hash)
                found[key] = customer_id
                created.add(key)
            missing = new.keys() - created  # another transaction created the same buyer first
            if missing:
                found |= self._customer_ids(missing)[0]
                if missing - found.keys():
                    raise StoreError("a customer insert conflicted on another unique column")
        self._stamp_identities(buyers, found, without_identity)
        return _in_order([(key.column, key.hash) for _, key in buyers], found, created)

    def _customer_ids(self, keys: set[tuple[str, str]]) -> tuple[dict[tuple[str, str], int], set[int]]:
        """The customers with these keys (of several with one identity, the oldest), and which of them
        have no identity key yet."""
        ids: dict[tuple[str, str], int] = {}
        without_identity: set[int] = set()
        for column in ("email_hash", "identity_hash"):
            hashes = [key_hash for kind, key_hash in keys if kind == column]
            if hashes:
                rows = self._session.connection().execute(_IDS_BY_KEY[column], {"keys": hashes})
                for customer_id, key_hash, identity_hash in rows:
                    ids.setdefault((column, key_hash), customer_id)
                    if identity_hash is None:
                        without_identity.add(customer_id)
        return ids, without_identity

    def _stamp_identities(self, buyers: Sequence[tuple[NewCustomer, BuyerKey]],
                          found: dict[tuple[str, str], int], without_identity: set[int]) -> None:
        """Give an existing customer found by email, without an identity key yet, its order's one
        (the first order's, when a batch has several)."""
        stamps: dict[int, str] = {}
        for _, key in buyers:
            customer_id = found[(key.column, key.hash)]
            if key.identity_hash is not None and customer_id in without_identity:
                stamps.setdefault(customer_id, key.identity_hash)
        if stamps:  # in id order, as the inserts: concurrent batches lock customers in the same order
            self._session.connection().execute(_STAMP_IDENTITY, [
                {"b_id": customer_id, "b_identity": identity} for customer_id, identity in sorted(stamps.items())
            ])

    def _customer_values(self, customer: NewCustomer, key: BuyerKey, now: datetime) -> dict:
        values: dict[str, object] = {
            f"{name}_enc": self._encrypt_customer(name, getattr(customer, name)) for name in _CUSTOMER_PII
        }
        values.update(
            kind=customer.kind.value,
            origin=customer.origin.value,
            source_account=customer.source_account,
            can_login=customer.can_login,
            created_at=now,
            email_hash=key.hash if key.column == "email_hash" else None,
            identity_hash=key.identity_hash,
        )
        return values

    def set_gestionale_code(self, customer_id: int, code: str) -> None:
        """Record the gestionale account (``mastro.conto``) once the customer is pushed."""
        self._session.execute(
            update(CUSTOMERS).where(CUSTOMERS.c.id == customer_id).values(gestionale_code=code)
        )

    # -- addresses ---------------------------------------------------------

    def addresses(self, customer_id: int) -> list[AddressRecord]:
        rows = self._session.execute(
            select(ADDRESSES).where(ADDRESSES.c.customer_id == customer_id).order_by(ADDRESSES.c.id)
        )
        return [self._address(row) for row in rows]

    def addresses_of(self, customer_ids: Sequence[int]) -> dict[int, list[AddressRecord]]:
        """:meth:`addresses` for a batch of customers, in one query: each customer's addresses in the
        order they were added; a customer without addresses maps to an empty list."""
        ids = sorted(set(customer_ids))
        found: dict[int, list[AddressRecord]] = {customer_id: [] for customer_id in ids}
        if ids:
            rows = self._session.execute(
                select(ADDRESSES).where(ADDRESSES.c.customer_id.in_(ids)).order_by(ADDRESSES.c.id))
            for record in map(self._address, rows):
                found[record.customer_id].append(record)
        return found

    def addresses_by_id(self, address_ids: Sequence[int]) -> dict[int, AddressRecord]:
        """Address id → its record, in one query (:meth:`get_address` for a batch)."""
        ids = sorted(set(address_ids))
        if not ids:
            return {}
        rows = self._session.execute(select(ADDRESSES).where(ADDRESSES.c.id.in_(ids)))
        return {record.id: record for record in map(self._address, rows)}

    def get_address(self, address_id: int) -> AddressRecord:
        row = self._session.execute(select(ADDRESSES).where(ADDRESSES.c.id == address_id)).first()
        if row is None:
            raise NotFound(f"address {address_id} does not exist")
        return self._address(row)

    def find_address(self, customer_id: int, address: NewAddress) -> AddressRecord | None:
        """The customer's address equal to ``address`` once normalised."""
        return self.find_address_by_key(customer_id, address.key())

    def find_address_by_key(self, customer_id: int, key: str) -> AddressRecord | None:
        row = self._query(_ADDRESS_BY_KEY, customer_id=customer_id, key=self.address_hash(key))
        return self._address(row) if row is not None else None

    def get_or_add_address(self, customer_id: int, address: NewAddress) -> AddressMatch:
        """The customer's matching address, or a new one (existing ones are never changed)."""
        resolved = self.get_or_add_addresses([(customer_id, address)])[0]
        return AddressMatch(self.get_address(resolved.id), created=resolved.created)

    def get_or_add_addresses(self, addresses: Sequence[tuple[int, NewAddress]]) -> list[Resolved]:
        """:meth:`get_or_add_address` for a batch of ``(customer_id, address)``: one lookup, one INSERT.
        Results follow ``addresses``; of one new address given twice only the first is ``created``."""
        keys = [(customer_id, self.address_hash(address.key())) for customer_id, address in addresses]
        found = self._address_ids(set(keys))
        new: dict[tuple[int, str], NewAddress] = {}
        for key, (_, address) in zip(keys, addresses, strict=True):
            if key not in found:
                new.setdefault(key, address)
        created: set[tuple[int, str]] = set()
        if new:
            now = utcnow()
            inserted = self._session.connection().execute(_INSERT_ADDRESS[dialect_name(self._session)], [
                # By customer, as the customers are locked in key order; a customer's new addresses in the
                # order of their orders: the first becomes its home in the gestionale (importer.partial_push).
                self._address_values(address, customer_id, key_hash, now)
                for (customer_id, key_hash), address in sorted(new.items(), key=lambda item: item[0][0])
            ])
            for address_id, customer_id, key_hash in inserted:
                found[(customer_id, key_hash)] = address_id
                created.add((customer_id, key_hash))
            missing = new.keys() - created  # another transaction added the same address first
            if missing:
                found |= self._address_ids(missing)
                if missing - found.keys():
                    raise StoreError("an address insert conflicted but no matching address exists")
        return _in_order(keys, found, created)

    def _address_ids(self, keys: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
        if not keys:
            return {}
        rows = self._session.connection().execute(_ADDRESS_IDS, {
            "customers": sorted({customer_id for customer_id, _ in keys}),
            "keys": sorted({key_hash for _, key_hash in keys}),
        })
        return {(customer_id, key_hash): address_id for address_id, customer_id, key_hash in rows
                if (customer_id, key_hash) in keys}

    def _address_values(self, address: NewAddress, customer_id: int, key_hash: str, now: datetime) -> dict:
        values: dict[str, object] = {
            f"{name}_enc": self._encrypt_address(name, getattr(address, name)) for name in _ADDRESS_PII
        }
        values.update(
            customer_id=customer_id,
            key_hash=key_hash,
            origin=address.origin.value,
            country_code=(address.country_code or "").upper() or None,
            created_at=now,
        )
        return values

    def set_gestionale_address_id(self, address_id: int, gestionale_id: str) -> None:
        self._session.execute(
            update(ADDRESSES).where(ADDRESSES.c.id == address_id).values(gestionale_address_id=gestionale_id)
        )

    # -- mapping -----------------------------------------------------------

    def _encrypt_customer(self, name: str, value: str | None) -> bytes | None:
        return self._cipher.encrypt(value, f"customer.{name}")

    def _encrypt_address(self, name: str, value: str | None) -> bytes | None:
        return self._cipher.encrypt(value, f"address.{name}")

    def _customer(self, row: Row) -> CustomerRecord:
        m = row._mapping
        pii = {name: self._cipher.decrypt(m[f"{name}_enc"], f"customer.{name}") for name in _CUSTOMER_PII}
        return CustomerRecord(
            id=m["id"],
            kind=CustomerKind(m["kind"]),
            origin=Origin(m["origin"]),
            can_login=bool(m["can_login"]),
            gestionale_code=m["gestionale_code"],
            source_account=m["source_account"],
            created_at=m["created_at"],
            pii_purged_at=m["pii_purged_at"],
            **pii,
        )

    def _address(self, row: Row) -> AddressRecord:
        m = row._mapping
        pii = {name: self._cipher.decrypt(m[f"{name}_enc"], f"address.{name}") for name in _ADDRESS_PII}
        return AddressRecord(
            id=m["id"],
            customer_id=m["customer_id"],
            country_code=m["country_code"],
            origin=Origin(m["origin"]),
            gestionale_address_id=m["gestionale_address_id"],
            **pii,
        )


def _in_order(keys: list, found: dict, created: set) -> list[Resolved]:
    """One result per key, in the order given; a key created by this call is ``created`` only the
    first time it appears."""
    results = []
    for key in keys:
        results.append(Resolved(found[key], created=key in created))
        created.discard(key)
    return results
