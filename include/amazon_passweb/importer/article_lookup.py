"""Articles and SKU mappings read once per step, not once per order line.

Every order of a batch asks for the same few articles; reading each from the
database once per step was about a quarter of the import's time. An article or
mapping changed while a step runs is seen from the next step.
"""

from __future__ import annotations

from amazon_passweb.site.articles import ArticleRepository
from amazon_passweb.site.records import ArticleRecord, SkuMappingRecord


class ArticleLookup:
    """The same questions as ``ArticleRepository.get`` / ``resolve_sku``, answered from memory
    after the first time; ``using`` points it at the current unit of work's repository."""

    def __init__(self) -> None:
        self._articles: dict[str, ArticleRecord | None] = {}
        self._skus: dict[tuple[str, str], SkuMappingRecord | None] = {}
        self._repository: ArticleRepository | None = None

    def using(self, repository: ArticleRepository) -> ArticleLookup:
        self._repository = repository
        return self

    def get(self, code: str) -> ArticleRecord | None:
        if code not in self._articles:
            self._articles[code] = self._repository.get(code)
        return self._articles[code]

    def resolve_sku(self, account: str, seller_sku: str) -> SkuMappingRecord | None:
        key = (account, seller_sku)
        if key not in self._skus:
            self._skus[key] = self._repository.resolve_sku(account, seller_sku)
        return self._skus[key]
