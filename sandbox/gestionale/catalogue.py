"""The articles the stand-in starts with: spesa articles and the Amazon stand-in's SKUs."""

from __future__ import annotations

from collections.abc import Iterable

# (codice, descrizione, cod_iva, spesa)
SPESA_ARTICLES: tuple[tuple[str, str, str, bool], ...] = (
    ("SPEDSTD", "Spese di spedizione standard", "22", True),
    ("SPEDEXP", "Spese di spedizione espressa", "22", True),
    ("SCSPED", "Sconto spese di spedizione", "22", True),
    ("CONFREG", "Confezione regalo", "22", True),
    ("PROMO", "Promozione", "22", True),
    ("ARROTOND", "Arrotondamento", "E15", True),
)

DEFAULT_SKUS: tuple[tuple[str, str, str], ...] = tuple((f"ART{n:03d}", f"Articolo {n:03d}", "22") for n in range(1, 41))


def amazon_catalogue() -> Iterable[tuple[str, str, str]]:
    """The Amazon stand-in's SKU catalogue when it is available, else ART001..ART040 at 22%."""
    try:
        from sandbox.amazon.generate import CATALOGUE
    except ImportError:
        return DEFAULT_SKUS
    return [(str(sku), str(description), str(vat)) for sku, description, vat in CATALOGUE]


def seed_rows(catalogue: Iterable[tuple[str, str, str]] | None = None) -> list[dict]:
    """Article records for the store: the spesa articles plus (sku, description, vat_rate) tuples."""
    rows = [
        {"codice": code, "descrizione": text, "cod_iva": vat, "spesa": spesa}
        for code, text, vat, spesa in SPESA_ARTICLES
    ]
    for sku, description, vat in catalogue if catalogue is not None else amazon_catalogue():
        rows.append({"codice": sku, "descrizione": description[:60], "cod_iva": _vat_code(vat), "spesa": False})
    return rows


def _vat_code(rate: object) -> str:
    text = str(rate).strip()
    return text[:-3] if text.endswith(".00") else text


def seed_site_articles(store) -> int:
    """Give a site store this catalogue's articles, as a first article sync would."""
    from amazon_passweb.importer.articles import copy_articles

    with store.unit_of_work() as uow:
        return copy_articles(uow.articles, seed_rows())
