"""Customers ("anagrafiche") and their shipping addresses.

Matching (domain.md §4): a usable email finds the customer; without one (absent
or the shared Amazon Business address) the fallback identity does. An existing
customer is never modified by an import. Inserts use ON CONFLICT DO NOTHING and
re-read, so two processes meeting the same new buyer end with one customer.
"""

from __future__ import annotations

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import Session

from ._sql import dialect_insert, utcnow
from .crypto import PiiCipher
from .errors import NotFound, StoreError, UnidentifiableBuyer
from .models import Address, Customer
from .normalise import usable_email
from .records import AddressMatch, AddressRecord, CustomerMatch, CustomerRecord, NewAddress, NewCustomer
from .states import CustomerKind, Origin

CUSTOMERS = Customer.__table__
ADDRESSES = Address.__table__

# Built once: lookups are the importer's hottest path (one or two per order).
_BY_EMAIL = select(CUSTOMERS).where(CUSTOMERS.c.email_hash == bindparam("key"))
_BY_IDENTITY = select(CUSTOMERS).where(CUSTOMERS.c.identity_hash == bindparam("key"))
_BY_ID = select(CUSTOMERS).where(CUSTOMERS.c.id == bindparam("key"))
_ADDRESS_BY_KEY = select(ADDRESSES).where(
    ADDRESSES.c.customer_id == bindparam("customer_id"), ADDRESSES.c.key_hash == bindparam("key")
)
_BY_KEY_COLUMN = {"email_hash": _BY_EMAIL, "identity_hash": _BY_IDENTITY}

_CUSTOMER_PII = ("email", "name", "company", "vat_number", "fiscal_code", "phone")
_ADDRESS_PII = ("name", "line1", "line2", "postal_code", "city", "province", "phone")


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

    def get_or_create(self, customer: NewCustomer, address: NewAddress | None = None) -> CustomerMatch:
        """Find the buyer or create them; never overwrites an existing customer.

        Raises ``UnidentifiableBuyer`` when there is neither a usable email nor
        a fallback identity (e.g. an AFN order without buyer data).
        """
        email = customer.match_email()
        if email is not None:
            key_column, key_hash, matched_by = "email_hash", self.email_hash(email), "email"
        else:
            identity = customer.identity(address)
            if identity is None:
                raise UnidentifiableBuyer(
                    "the buyer has no usable email and no name/address or VAT number to identify them"
                )
            key_column, key_hash, matched_by = "identity_hash", self.identity_hash(identity), "identity"

        existing = self._one(_BY_KEY_COLUMN[key_column], key_hash)
        if existing is not None:
            return CustomerMatch(existing, created=False, matched_by=matched_by)

        values = {
            f"{name}_enc": self._encrypt_customer(name, getattr(customer, name)) for name in _CUSTOMER_PII
        }
        values.update(
            kind=customer.kind.value,
            origin=customer.origin.value,
            source_account=customer.source_account,
            can_login=customer.can_login,
            created_at=utcnow(),
            **{key_column: key_hash},
        )
        stmt = dialect_insert(self._session, CUSTOMERS).values(values).on_conflict_do_nothing()
        new_id = self._session.execute(stmt.returning(CUSTOMERS.c.id)).scalar()
        if new_id is None:  # another transaction created the same buyer first
            existing = self._one(_BY_KEY_COLUMN[key_column], key_hash)
            if existing is None:
                raise StoreError("a customer insert conflicted on another unique column")
            return CustomerMatch(existing, created=False, matched_by=matched_by)
        return CustomerMatch(self.get(new_id), created=True, matched_by="new")

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
        key_hash = self.address_hash(address.key())
        row = self._query(_ADDRESS_BY_KEY, customer_id=customer_id, key=key_hash)
        if row is not None:
            return AddressMatch(self._address(row), created=False)
        values = {f"{name}_enc": self._encrypt_address(name, getattr(address, name)) for name in _ADDRESS_PII}
        values.update(
            customer_id=customer_id,
            key_hash=key_hash,
            origin=address.origin.value,
            country_code=(address.country_code or "").upper() or None,
            created_at=utcnow(),
        )
        stmt = dialect_insert(self._session, ADDRESSES).values(values).on_conflict_do_nothing()
        new_id = self._session.execute(stmt.returning(ADDRESSES.c.id)).scalar()
        if new_id is None:  # another transaction added the same address first
            row = self._query(_ADDRESS_BY_KEY, customer_id=customer_id, key=key_hash)
            if row is None:
                raise StoreError("an address insert conflicted but no matching address exists")
            return AddressMatch(self._address(row), created=False)
        return AddressMatch(self.get_address(new_id), created=True)

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
