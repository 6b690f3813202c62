"""Articles from the gestionale into the site (code, description, VAT rate, *spesa* flag).

Part of every changed/total sync; the site needs them to turn Amazon SKUs into rows.
The WebAPI has no spesa flag on articles (reference/mexal-webapi: ``articoli`` lists none):
the spesa articles are the codes the configuration names.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from amazon_passweb.config import AccountConfig
from amazon_passweb.gestionale.client import ARTICLES, GestionaleClient
from amazon_passweb.site.articles import ArticleRepository
from amazon_passweb.site.unit_of_work import SiteStore

log = logging.getLogger(__name__)
FIELDS = ["codice", "descrizione", "alq_iva"]
_RATE = re.compile(r"^\d+(?:[.,]\d+)?$")


def spesa_codes(accounts: Iterable[AccountConfig]) -> frozenset[str]:
    """The article codes the product uses as spesa articles: the accounts' shipping articles and
    the configured ones for shipping discounts, gift wrap, promotions and rounding."""
    codes: set[str] = set()
    for account in accounts:
        codes |= {account.shipping_article_standard, account.shipping_article_express}
        codes |= account.spesa_articles.codes
    return frozenset(codes)


def pull_articles(store: SiteStore, client: GestionaleClient, spesa: frozenset[str], page_size: int = 500,
                  *, since: str | None = None) -> int:
    """Copy the gestionale's articles into the site: every one, or (``since``, gestionale time) those
    changed from then on. Returns how many were copied."""
    with store.unit_of_work() as uow:
        records = client.changed_since(ARTICLES, since, fields=FIELDS, page_size=page_size)
        copied = copy_articles(uow.articles, records, spesa)
    log.info("articles: %d copied from the gestionale", copied)
    return copied


def copy_articles(articles: ArticleRepository, records: Iterable[dict], spesa: frozenset[str] = frozenset()) -> int:
    """Store gestionale article records (codice, descrizione, alq_iva) as site articles."""
    copied = 0
    for record in records:
        code = str(record["codice"]).strip()
        articles.upsert(
            code,
            str(record.get("descrizione") or code).strip(),
            vat_rate(record.get("alq_iva")),
            is_spesa=code in spesa,
        )
        copied += 1
    return copied


def vat_rate(alq_iva: object) -> str | None:
    """The rate of an ``alq_iva`` as the gestionale reads it back (``" 22,0"``, ``"22"``, ``10.5``)
    → ``"22"``, ``"10.5"``; an exemption code (e.g. ``E15``, outside the VAT base) is no rate."""
    text = str(alq_iva if alq_iva is not None else "").strip()
    if not _RATE.match(text):
        return None
    number = text.replace(",", ".")
    return number.rstrip("0").rstrip(".") if "." in number else str(int(number))
