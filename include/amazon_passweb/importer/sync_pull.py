"""What a changed or total sync brings from the gestionale into the site (domain.md §6, [0699, 0700]):
the articles and customers (every one, or those changed since the last successful sync) and the
accessory tables the product uses, read whole.

"Since" is in the gestionale's own clock: the ``data_ric_elab`` answered when the previous sync
began reading, compared with each record's ``data_ult_mod``. A sync that fails records no time, so
the next changed one reads again from the last one that succeeded.

Accessory tables: VAT exemptions, payments and currencies (``dati-generali/esenzioni-iva``,
``pagamenti``, ``valute``). The reference publishes no archive of VAT rates (an ordinary rate is its
number, "22") and none of carriers, so neither is copied. Their field lists have no ``data_ult_mod``:
they are small, read whole every time, and only rows that differ from the site's copy are written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from amazon_passweb.gestionale.client import CURRENCIES, CUSTOMERS, PAYMENTS, VAT_EXEMPTIONS, GestionaleClient
from amazon_passweb.importer.article_copy import pull_articles
from amazon_passweb.site._sql import utcnow
from amazon_passweb.site.unit_of_work import SiteStore

log = logging.getLogger(__name__)

CUSTOMER_FIELDS = ["codice", "gest_per_fisica", "partita_iva", "email", "data_ult_mod"]
# table -> the field that identifies a row (the reference gives these tables no key: chosen by meaning)
ACCESSORY_TABLES = {VAT_EXEMPTIONS: "codice", PAYMENTS: "id", CURRENCIES: "id"}
PAGE_SIZE = 500
BATCH = 500  # customers written per transaction, so a long read never holds the site's write lock


@dataclass(frozen=True)
class Pulled:
    gestionale_time: str  # the gestionale's clock before anything was read
    articles: int
    customers: int
    table_rows: int  # accessory rows brought: all of them on a total read, those that changed otherwise


def pull_from_gestionale(store: SiteStore, client: GestionaleClient, spesa: frozenset[str],
                         since: str | None) -> Pulled:
    """Everything (``since`` None) or what changed since ``since`` (gestionale time)."""
    gestionale_time = client.clock()  # first: a record changed while we read is read again next time
    started = utcnow()
    articles = pull_articles(store, client, spesa, PAGE_SIZE, since=since)
    customers = _pull_customers(store, client, since, started)
    table_rows = sum(_pull_table(store, client, resource, key, whole=since is None)
                     for resource, key in ACCESSORY_TABLES.items())
    log.info("from the gestionale (%s): %d articles, %d customers, %d accessory table rows",
             "all" if since is None else f"changed since {since}", articles, customers, table_rows)
    return Pulled(gestionale_time, articles, customers, table_rows)


def _pull_customers(store: SiteStore, client: GestionaleClient, since: str | None, started: datetime) -> int:
    batch: list[dict] = []
    copied = 0

    def write() -> None:
        with store.unit_of_work() as uow:
            for record in batch:
                uow.gestionale_copy.upsert_customer(
                    str(record["codice"]).strip(),
                    is_company=str(record.get("gest_per_fisica") or "").strip().upper() != "S",
                    email=record.get("email"), vat_number=record.get("partita_iva"),
                    changed_at=str(record.get("data_ult_mod") or "") or None)
        batch.clear()

    for record in client.changed_since(CUSTOMERS, since, fields=CUSTOMER_FIELDS, page_size=PAGE_SIZE):
        batch.append(record)
        copied += 1
        if len(batch) >= BATCH:
            write()
    write()
    if since is None:  # a total read saw every customer: one not seen is gone from the gestionale
        with store.unit_of_work() as uow:
            uow.gestionale_copy.drop_customers_synced_before(started)
    return copied


def _pull_table(store: SiteStore, client: GestionaleClient, resource: str, key: str, *, whole: bool) -> int:
    rows = list(client.records(resource, page_size=PAGE_SIZE))  # every published field
    with store.unit_of_work() as uow:
        changed = uow.gestionale_copy.replace_table(resource.removeprefix("risorse/"), key, rows)
    return len(rows) if whole else changed
