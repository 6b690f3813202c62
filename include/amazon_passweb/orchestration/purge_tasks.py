"""Task body of the purge DAG: one site store for the task, the purge, its counts as XCom."""

from __future__ import annotations

from dataclasses import asdict

from amazon_passweb.importer.pipeline import purge as purge_buyer_data
from amazon_passweb.site.unit_of_work import open_site_store


def purge(older_than_days: int, url: str | None = None) -> dict[str, int]:
    """Erase what is past retention in the site database and return the counts (numbers only:
    nothing personal reaches the log or XCom)."""
    store = open_site_store(url)
    try:
        return asdict(purge_buyer_data(store, older_than_days))
    finally:
        store.dispose()
