from amazon_passweb.site import SiteStore


def test_articles_are_upserted_from_the_gestionale(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        uow.articles.upsert("ART001", "Tazza", "22")
        uow.articles.upsert("ART001", "Tazza in ceramica", "10")
        uow.articles.upsert("SPEDSTD", "Spese di spedizione", "22", is_spesa=True)
        article = uow.articles.get("ART001")
        spesa = uow.articles.get("SPEDSTD")
        assert uow.articles.get("NOPE") is None
    assert (article.description, article.vat_rate, article.is_spesa) == ("Tazza in ceramica", "10", False)
    assert spesa.is_spesa


def test_sku_mapping_prefers_the_account_then_every_account(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        uow.articles.map_sku("*", "SKU-1", "ART001")
        uow.articles.map_sku("it_main", "SKU-1", "ART001-IT", shipping_article_code="SPEDEXP")
        uow.articles.map_sku("*", "SKU-2", "ART002")
        uow.articles.map_sku("*", "SKU-2", "ART002B")  # remapped
        own = uow.articles.resolve_sku("it_main", "SKU-1")
        shared = uow.articles.resolve_sku("de_main", "SKU-1")
        remapped = uow.articles.resolve_sku("it_main", "SKU-2")
        unknown = uow.articles.resolve_sku("it_main", "SKU-404")
    assert (own.article_code, own.shipping_article_code) == ("ART001-IT", "SPEDEXP")
    assert (shared.article_code, shared.shipping_article_code) == ("ART001", None)
    assert remapped.article_code == "ART002B"
    assert unknown is None
