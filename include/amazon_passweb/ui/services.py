"""What the pages depend on, gathered so tests can replace any of it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from amazon_passweb.config import AccountsFile, load_accounts
from amazon_passweb.site.unit_of_work import SiteStore, open_site_store
from amazon_passweb.ui.airflow_gateway import AirflowGateway, AirflowMetadata


def _utcnow() -> datetime:
    return datetime.now(UTC)


class LazyStore:
    """Opens the site store on first use, not when Airflow loads the plugin (every Airflow
    process loads plugins; only the API server serves the pages)."""

    def __init__(self, opener: Callable[[], SiteStore] = open_site_store) -> None:
        self._opener = opener
        self._store: SiteStore | None = None
        self._lock = threading.Lock()

    def __call__(self) -> SiteStore:
        with self._lock:
            if self._store is None:
                self._store = self._opener()
            return self._store


@dataclass
class UiServices:
    accounts: Callable[[], AccountsFile] = load_accounts  # re-read per request: the file may change
    store: Callable[[], SiteStore] = field(default_factory=LazyStore)
    airflow: AirflowGateway = field(default_factory=AirflowMetadata)
    now: Callable[[], datetime] = _utcnow
