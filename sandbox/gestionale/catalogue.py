"""The articles the stand-in starts with: spesa articles and the Amazon stand-in's SKUs.

Records use the info list's names: ``codice``, ``descrizione``, ``alq_iva`` (a rate such as
``"22"`` or an exemption code such as ``"E15"``). The gestionale has no documented "spesa" flag:
which articles are spesa articles is the account configuration's business, not the article's.
"""

from __future__ import annotations

from collections.abc import Iterable

# (codice, descrizione, alq_iva)
SPESA_ARTICLES: tuple[tuple[str, str, str], ...] = (
    ("SPEDSTD", "Spese di spedizione standard", "22"),
    ("SPEDEXP", "Spese di spedizione espressa", "22"),
    ("SCSPED", "Sconto spese di spedizione", "22"),
    ("CONFREG", "Confezione regalo", "22"),
    ("PROMO", "Promozione", "22"),
    ("ARROTOND", "Arrotondamento", "E15"),
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
    """Article records as stored: the spesa articles plus (sku, description, vat_rate) tuples."""
    rows = [{"codice": code, "descrizione": text, "alq_iva": vat} for code, text, vat in SPESA_ARTICLES]
    for sku, description, vat in catalogue if catalogue is not None else amazon_catalogue():
        rows.append({"codice": sku, "descrizione": description[:80], "alq_iva": _rate_text(vat)})
    return rows


def _rate_text(rate: object) -> str:
    text = str(rate).strip()
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_alq_iva(value: str) -> str:
    """As the gestionale reads a rate back (" 22,0"); an exemption code comes back as stored."""
    try:
        rate = float(value)
    except ValueError:
        return value
    return f"{rate:5.1f}".replace(".", ",")


def read_form(record: dict) -> dict:
    """An article record as a read answers it (rates formatted)."""
    return {**record, "alq_iva": format_alq_iva(str(record.get("alq_iva", "")))}


def seed_site_articles(store) -> int:
    """Give a site store this catalogue's articles as a first article sync would: from the records
    the gestionale answers (``alq_iva`` formatted, no spesa flag)."""
    from amazon_passweb.importer.article_copy import copy_articles

    with store.unit_of_work() as uow:
        return copy_articles(uow.articles, [read_form(r) for r in seed_rows()])
