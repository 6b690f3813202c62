"""What the site copies from the gestionale (articles, customers' lookup data, accessory tables)
and the Amazon SellerSKU → article mapping."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ._sql import dialect_insert, utcnow
from .crypto import PiiCipher
from .models import Article, GestionaleCustomer, GestionaleTableRow, SkuMapping
from .normalise import identity_key, usable_email
from .records import ArticleRecord, GestionaleCustomerRecord, SkuMappingRecord
from .states import CustomerKind

ARTICLES = Article.__table__
SKUS = SkuMapping.__table__
GESTIONALE_CUSTOMERS = GestionaleCustomer.__table__
TABLE_ROWS = GestionaleTableRow.__table__
ALL_ACCOUNTS = "*"


class ArticleRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def upsert(self, code: str, description: str, vat_rate: str | None, *, is_spesa: bool = False) -> None:
        """Insert or refresh an article as the gestionale has it."""
        stmt = dialect_insert(self._session, ARTICLES).values(
            code=code, description=description, vat_rate=vat_rate, is_spesa=is_spesa, updated_at=utcnow()
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[ARTICLES.c.code],
            set_={
                name: stmt.excluded[name] for name in ("description", "vat_rate", "is_spesa", "updated_at")
            },
        )
        self._session.execute(stmt)

    def get(self, code: str) -> ArticleRecord | None:
        row = self._session.execute(select(ARTICLES).where(ARTICLES.c.code == code)).first()
        if row is None:
            return None
        return ArticleRecord(
            code=row.code, description=row.description, vat_rate=row.vat_rate, is_spesa=bool(row.is_spesa)
        )

    def map_sku(
        self,
        account: str,
        seller_sku: str,
        article_code: str,
        *,
        shipping_article_code: str | None = None,
        shipping_article_express_code: str | None = None,
    ) -> None:
        """Map a SellerSKU of ``account`` (``"*"``: of every account) to an article,
        optionally with its own shipping (*spesa*) articles for standard and express shipping."""
        stmt = dialect_insert(self._session, SKUS).values(
            account=account,
            seller_sku=seller_sku,
            article_code=article_code,
            shipping_article_code=shipping_article_code,
            shipping_article_express_code=shipping_article_express_code,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[SKUS.c.account, SKUS.c.seller_sku],
            set_={
                name: stmt.excluded[name]
                for name in ("article_code", "shipping_article_code", "shipping_article_express_code")
            },
        )
        self._session.execute(stmt)

    def sku_mappings(self, account: str) -> list[SkuMappingRecord]:
        """The account's own mappings, by SKU."""
        rows = self._session.execute(select(SKUS).where(SKUS.c.account == account).order_by(SKUS.c.seller_sku))
        return [_sku_mapping(row) for row in rows]

    def resolve_sku(self, account: str, seller_sku: str) -> SkuMappingRecord | None:
        """The account's own mapping first, then the one for every account.
        None means an unknown SKU: the caller reports it, never drops the row."""
        rows = self._session.execute(
            select(SKUS).where(SKUS.c.seller_sku == seller_sku, SKUS.c.account.in_([account, ALL_ACCOUNTS]))
        ).all()
        if not rows:
            return None
        return _sku_mapping(min(rows, key=lambda r: r.account == ALL_ACCOUNTS))


def _sku_mapping(row) -> SkuMappingRecord:
    return SkuMappingRecord(
        account=row.account,
        seller_sku=row.seller_sku,
        article_code=row.article_code,
        shipping_article_code=row.shipping_article_code,
        shipping_article_express_code=row.shipping_article_express_code,
    )


class GestionaleCopyRepository:
    """The gestionale's customers and accessory tables as the last changed/total sync brought them."""

    def __init__(self, session: Session, cipher: PiiCipher) -> None:
        self._session = session
        self._cipher = cipher

    def upsert_customer(self, code: str, *, is_company: bool, email: str | None, vat_number: str | None,
                        changed_at: str | None) -> None:
        """Keep a gestionale customer by its code, with the same lookup hashes the site's customers use
        (``customer.email``, ``customer.identity``): an email or a company's VAT number finds it."""
        email = usable_email(email)
        identity = _vat_identity(vat_number) if is_company else None
        values = {
            "code": code,
            "kind": (CustomerKind.COMPANY if is_company else CustomerKind.PRIVATE).value,
            "email_hash": self._cipher.lookup_hash(email, "customer.email") if email else None,
            "identity_hash": self._cipher.lookup_hash(identity, "customer.identity") if identity else None,
            "changed_at": changed_at,
            "synced_at": utcnow(),
        }
        stmt = dialect_insert(self._session, GESTIONALE_CUSTOMERS).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[GESTIONALE_CUSTOMERS.c.code],
            set_={name: stmt.excluded[name] for name in values if name != "code"},
        )
        self._session.execute(stmt)

    def drop_customers_synced_before(self, moment: datetime) -> int:
        """Forget the customers a whole read of the gestionale no longer returned."""
        return self._session.execute(
            delete(GESTIONALE_CUSTOMERS).where(GESTIONALE_CUSTOMERS.c.synced_at < moment)).rowcount

    def customer(self, code: str) -> GestionaleCustomerRecord | None:
        row = self._session.execute(select(GESTIONALE_CUSTOMERS).where(GESTIONALE_CUSTOMERS.c.code == code)).first()
        return _gestionale_customer(row) if row is not None else None

    def find_customer(
        self, *, email: str | None = None, vat_number: str | None = None
    ) -> GestionaleCustomerRecord | None:
        """The gestionale customer with this VAT number (IT prefix or not), else this email."""
        if identity := _vat_identity(vat_number):
            key = self._cipher.lookup_hash(identity, "customer.identity")
            if row := self._first(GESTIONALE_CUSTOMERS.c.identity_hash == key):
                return row
        email = usable_email(email)
        if email:
            return self._first(GESTIONALE_CUSTOMERS.c.email_hash == self._cipher.lookup_hash(email, "customer.email"))
        return None

    def _first(self, condition) -> GestionaleCustomerRecord | None:
        row = self._session.execute(
            select(GESTIONALE_CUSTOMERS).where(condition).order_by(GESTIONALE_CUSTOMERS.c.code).limit(1)
        ).first()
        return _gestionale_customer(row) if row is not None else None

    def replace_table(self, table: str, key_field: str, rows: Iterable[dict]) -> int:
        """Make the site's copy of ``table`` exactly ``rows`` (the gestionale's, whole); returns how many
        rows were new or differed. A row the gestionale no longer has is removed."""
        wanted = {str(row[key_field]): json.dumps(row, sort_keys=True, default=str) for row in rows}
        stored = dict(self._session.execute(
            select(TABLE_ROWS.c.row_key, TABLE_ROWS.c.data).where(TABLE_ROWS.c.table_name == table)).all())
        gone = stored.keys() - wanted.keys()
        if gone:
            self._session.execute(
                delete(TABLE_ROWS).where(TABLE_ROWS.c.table_name == table, TABLE_ROWS.c.row_key.in_(gone)))
        changed = {key: data for key, data in wanted.items() if stored.get(key) != data}
        for key, data in changed.items():
            stmt = dialect_insert(self._session, TABLE_ROWS).values(
                table_name=table, row_key=key, data=data, synced_at=utcnow())
            stmt = stmt.on_conflict_do_update(
                index_elements=[TABLE_ROWS.c.table_name, TABLE_ROWS.c.row_key],
                set_={"data": stmt.excluded.data, "synced_at": stmt.excluded.synced_at},
            )
            self._session.execute(stmt)
        return len(changed)

    def table_rows(self, table: str) -> dict[str, dict]:
        """Row key → the row's fields, as the gestionale gave them."""
        rows = self._session.execute(
            select(TABLE_ROWS.c.row_key, TABLE_ROWS.c.data).where(TABLE_ROWS.c.table_name == table))
        return {key: json.loads(data) for key, data in rows}


def _vat_identity(vat_number: str | None) -> str | None:
    """``vat:<number>``, the identity a company with this VAT number has among the site's customers."""
    return identity_key(is_company=True, vat_number=vat_number) if vat_number and vat_number.strip() else None


def _gestionale_customer(row) -> GestionaleCustomerRecord:
    return GestionaleCustomerRecord(code=row.code, kind=CustomerKind(row.kind), email_hash=row.email_hash,
                                    identity_hash=row.identity_hash, changed_at=row.changed_at)
