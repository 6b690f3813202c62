"""Within a step every article and SKU mapping is read from the database once."""

from amazon_passweb.importer.article_lookup import ArticleLookup
from amazon_passweb.site.records import ArticleRecord


class CountingArticles:
    def __init__(self):
        self.calls = []

    def get(self, code):
        self.calls.append(("get", code))
        return ArticleRecord(code=code, description=code, vat_rate="22", is_spesa=False) if code != "NONE" else None

    def resolve_sku(self, account, sku):
        self.calls.append(("sku", account, sku))
        return None


def test_each_question_reaches_the_repository_once_even_across_units_of_work():
    lookup = ArticleLookup()
    first, second = CountingArticles(), CountingArticles()
    for repository in (first, second, first):
        articles = lookup.using(repository)
        assert articles.get("ART001").code == "ART001"
        assert articles.get("NONE") is None  # an unknown article is remembered too
        assert articles.resolve_sku("it_main", "SKU-1") is None
    assert first.calls == [("get", "ART001"), ("get", "NONE"), ("sku", "it_main", "SKU-1")]
    assert second.calls == []
