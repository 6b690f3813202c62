"""Articles from the gestionale into the site (code, description, VAT rate, *spesa* flag).

Part of every changed/total sync; the site needs them to turn Amazon SKUs into rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from amazon_passweb.gestionale.client import ARTICLES, GestionaleClient
from amazon_passweb.site.articles import ArticleRepository
from amazon_passweb.site.unit_of_work import SiteStore

log = logging.getLogger(__name__)
FIELDS = ["codice", "descrizione", "cod_iva", "spesa"]


def pull_articles(store: SiteStore, client: GestionaleClient, page_size: int = 100) -> int:
    """Copy every article of the gestionale into the site; returns how many were copied."""
    with store.unit_of_work() as uow:
        copied = copy_articles(uow.articles, client.search(ARTICLES, [], fields=FIELDS, page_size=page_size))
    log.info("articles: %d copied from the gestionale", copied)
    return copied


def copy_articles(articles: ArticleRepository, records: Iterable[dict]) -> int:
    """Store gestionale article records (codice, descrizione, cod_iva, spesa) as site articles."""
    copied = 0
    for record in records:
        articles.upsert(
            str(record["codice"]),
            str(record.get("descrizione") or record["codice"]),
            _vat_rate(record.get("cod_iva")),
            is_spesa=bool(record.get("spesa")),
        )
        copied += 1
    return copied


def _vat_rate(code: object) -> str | None:
    """Only numeric VAT codes are rates; others (e.g. E15, outside the VAT base) are not."""
    text = str(code or "").strip()
    return text if text.replace(".", "", 1).isdigit() else None
