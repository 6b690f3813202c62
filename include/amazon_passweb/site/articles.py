"""Articles copied from the gestionale and the Amazon SellerSKU → article mapping."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ._sql import dialect_insert, utcnow
from .models import Article, SkuMapping
from .records import ArticleRecord, SkuMappingRecord

ARTICLES = Article.__table__
SKUS = SkuMapping.__table__
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
