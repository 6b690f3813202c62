"""The Airflow side of the site store: the ``passweb_site`` connection, when Airflow has one.

The only module of ``site/`` that imports Airflow. :func:`amazon_passweb.site.db.site_database_url`
asks it at call time, so every entry point (the tasks, the operator pages, ``python -m
amazon_passweb.site upgrade``) finds the same database, while the store stays importable and
usable without Airflow (tests, the demo, the benchmarks). The arrow goes ``db`` → ``hook``:
this module knows nothing of the store.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook


class SiteHook(BaseHook):
    hook_name = "Passweb site database"

    def __init__(self, site_conn_id: str) -> None:
        super().__init__()
        self.site_conn_id = site_conn_id

    def find_connection(self) -> Any | None:
        """The connection, or None when it is not defined (any other failure is raised)."""
        try:
            return self.get_connection(self.site_conn_id)
        except Exception as exc:  # Airflow raises different types by context; "not found" is all we accept
            if type(exc).__name__ in {"AirflowNotFoundException", "ConnectionNotFound"} or "isn't defined" in str(exc):
                return None
            raise
