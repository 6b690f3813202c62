"""Who reaches the pages: Airflow's own authentication, and a same-origin rule for changes.

Every route depends on Airflow's ``get_user``: the JWT from ``Authorization:
Bearer`` or from Airflow's session cookie, validated by the configured auth
manager exactly as for Airflow's REST API. A browser sends that cookie by
itself, so a change (POST) authenticated by the cookie must also come from a
page of this server (``Origin``, else ``Referer``); a bearer token is never sent
by a browser on its own, so it needs no such check.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import HTTPException, Request, status

ORIGIN_REFUSED = "Richiesta rifiutata: le modifiche si fanno solo dalle pagine di Airflow."


def _netloc(url: str | None) -> str | None:
    if not url or url == "null":
        return None
    parts = urlsplit(url)
    return parts.netloc.lower() or None


def _allowed_netlocs(request: Request) -> set[str]:
    allowed = {request.headers.get("host", "").lower()}
    try:
        from airflow.configuration import conf

        configured = _netloc(conf.get("api", "base_url", fallback=""))
    except Exception:  # outside Airflow (unit tests) there is no configuration to read
        configured = None
    return {netloc for netloc in (*allowed, configured) if netloc}


def require_same_origin(request: Request) -> None:
    """Refuse a cookie-authenticated change that does not come from this server's own pages."""
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return
    origin = _netloc(request.headers.get("origin")) or _netloc(request.headers.get("referer"))
    if origin is None or origin not in _allowed_netlocs(request):
        raise HTTPException(status.HTTP_403_FORBIDDEN, ORIGIN_REFUSED)


def login_url(request: Request) -> str:
    """Airflow's login page, coming back to the page asked for."""
    from airflow.api_fastapi.app import get_auth_manager

    return get_auth_manager().get_url_login(next_url=str(request.url))


def wants_html(request: Request) -> bool:
    return request.method == "GET" and "text/html" in request.headers.get("accept", "")
