"""The site database's Airflow connection: the one module of ``site`` that knows Airflow.

Airflow is imported when the connection is read, not at module level, so the store stays usable
(and fast to import) outside a scheduler: without Airflow, or without the connection, the
database is named by ``SITE_DATABASE_URL`` (``site.db``).
"""

from __future__ import annotations

from typing import Any


def airflow_connection(conn_id: str = "passweb_site") -> Any | None:
    """The Airflow connection, or None when Airflow or the connection is absent."""
    try:
        from airflow.sdk import BaseHook
    except ImportError:
        return None
    try:
        return BaseHook.get_connection(conn_id)
    except Exception as exc:  # Airflow raises different types by context; "not found" is all we accept
        if type(exc).__name__ in {"AirflowNotFoundException", "ConnectionNotFound"} or "isn't defined" in str(
            exc
        ):
            return None
        raise
