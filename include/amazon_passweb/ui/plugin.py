"""What the Airflow plugin registers: the app under ``/amazon`` and two entries in the nav.

An external view with a ``url_route`` is shown inside the Airflow UI (an iframe
at ``/plugin/<url_route>``), so the pages keep Airflow's navigation around them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from amazon_passweb.ui import MOUNT_PREFIX

# A parcel, drawn inline so the icon needs no request of its own.
ICON = (
    "data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24' fill='none' "
    "stroke='%23718096' stroke-width='2' stroke-linecap='round' stroke-linejoin='round'><path d='M21 16V8a2 2 0 0 "
    "0-1-1.73l-7-4a2 2 0 0 0-2 0l-7 4A2 2 0 0 0 3 8v8a2 2 0 0 0 1 1.73l7 4a2 2 0 0 0 2 0l7-4A2 2 0 0 0 21 16z'/>"
    "<path d='M3.3 7 12 12l8.7-5M12 22V12'/></svg>"
)


def _base_path() -> str:
    """The path Airflow is served under (``[api] base_url``), usually empty."""
    try:
        from airflow.configuration import conf

        return urlsplit(conf.get("api", "base_url", fallback="") or "").path.rstrip("/")
    except Exception:  # configuration unreadable: serve from the root
        return ""


class LazyApp:
    """The pages' ASGI app, built on its first request. Every Airflow process loads plugins, but
    only the API server serves pages: the others never import the routes or Airflow's security."""

    def __init__(self) -> None:
        self._app: Any = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if self._app is None:
            from amazon_passweb.ui.app import create_app

            self._app = create_app()
        await self._app(scope, receive, send)


FASTAPI_APPS = [{"app": LazyApp(), "url_prefix": MOUNT_PREFIX, "name": "Amazon operator pages"}]
EXTERNAL_VIEWS = [
    {
        "name": "Account Amazon",
        "href": f"{_base_path()}{MOUNT_PREFIX}/accounts",
        "destination": "nav",
        "category": "Amazon",
        "url_route": "amazon-accounts",
        "icon": ICON,
    },
    {
        "name": "Ordini Amazon",
        "href": f"{_base_path()}{MOUNT_PREFIX}/orders",
        "destination": "nav",
        "category": "Amazon",
        "url_route": "amazon-orders",
        "icon": ICON,
    },
]
