"""Rule: the spesa articles of shipping discounts, gift wrap and promotions are the configured ones (domain.md §5)."""

from importer_helpers import amazon_order, article_codes, item, site_order

from amazon_passweb.config import SpesaArticles
from amazon_passweb.site.states import RowKind

CONFIGURED = SpesaArticles(shipping_discount="SCSP2", gift_wrap="REGALO", promotion="SCONTO")


def test_an_order_is_built_and_pushed_with_the_configured_spesa_articles(
    importer, store, standin, it_main, gestionale_db
):
    """Proves issue #17 item 8: the site order and the document carry the accounts file's spesa articles, not the
    built-in codes, and gift wrap and promotion on them are not taken for shipping (free shipping: the free carrier)."""
    account = it_main.model_copy(update={"spesa_articles": CONFIGURED})
    for code in ("SCSP2", "REGALO", "SCONTO"):
        standin.store.insert_article({"codice": code, "descrizione": f"Spesa {code}", "alq_iva": "22"})
    order = amazon_order(
        item(
            "ART001", unit_price="19.90", shipping="4.90", shipping_discount="4.90", gift_wrap="3.00", promotion="2.00"
        )
    )

    importer.run([order], account=account)

    site = site_order(store, account, order.amazon_order_id)
    spesa = {row.article_code for row in site.rows if row.kind is RowKind.SPESA}
    assert spesa == {"SPEDSTD", "SCSP2", "REGALO", "SCONTO"}
    document = gestionale_db.document(order.amazon_order_id)
    codes = set(article_codes(document))
    assert {"SCSP2", "REGALO", "SCONTO"} <= codes and not {"SCSPED", "CONFREG", "PROMO"} & codes
    assert document["cod_vettore"] == account.carrier_free_shipping
