"""Only authenticated Airflow users reach the pages and their endpoints; changes come only from
Airflow's own pages. The JWT is validated by Airflow's real auth manager."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from tests.ui.conftest import HOST, token_for

ORIGIN = {"Origin": f"http://{HOST}"}


def _routes(client) -> list[tuple[str, str]]:
    """Every route of the app, with sample path parameters."""
    samples = {"{account_id}": "it_main", "{name}": "ui.css"}
    found = []
    for route in client.app.routes:
        if isinstance(route, APIRoute):
            path = route.path
            for placeholder, value in samples.items():
                path = path.replace(placeholder, value)
            found += [(method, path) for method in route.methods]
    return found


def test_every_route_is_known(client):
    assert sorted(_routes(client)) == sorted([
        ("GET", "/"), ("GET", "/static/ui.css"), ("GET", "/accounts"), ("GET", "/accounts/it_main/card"),
        ("GET", "/orders"), ("POST", "/accounts/it_main/sync"), ("POST", "/accounts/it_main/watermark"),
        ("POST", "/orders/retry"), ("GET", "/sku"), ("POST", "/sku"), ("POST", "/orders/complete-afn"),
    ]), "a new route needs its place in the anonymous-access tests"


@pytest.mark.parametrize("credentials", [{}, {"Authorization": "Bearer not-a-jwt"}, {"Cookie": "_token=forged"}])
def test_anonymous_or_forged_requests_are_refused(client, credentials):
    for method, path in _routes(client):
        answer = client.request(method, path, headers={**credentials, **ORIGIN}, json={})
        assert answer.status_code in (401, 403), (method, path, credentials, answer.status_code)


def test_a_browser_asking_for_a_page_is_sent_to_airflow_login(client):
    answer = client.get("/accounts", headers={"Accept": "text/html"})
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/auth/login?next=")


def test_a_token_from_another_secret_is_refused(client, auth_manager):
    import jwt

    forged = jwt.encode({"sub": "admin", "role": "admin"}, "another-secret", algorithm="HS512")
    assert client.get("/accounts", headers={"Authorization": f"Bearer {forged}"}).status_code == 403


def test_a_logged_in_user_reads_every_page(client, admin_cookie):
    client.cookies.update(admin_cookie)
    for path in ("/accounts", "/accounts/it_main/card", "/orders", "/static/ui.js"):
        answer = client.get(path)
        assert answer.status_code == 200, path
    page = client.get("/accounts")
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]


def test_the_bearer_header_works_as_for_airflow_api(client, auth_manager):
    token = token_for(auth_manager, "admin")
    assert client.get("/orders", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # No cookie: a request a browser cannot forge, so no origin is needed.
    answer = client.post("/accounts/it_main/sync", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("headers", [
    {},
    {"Origin": "http://evil.example"},
    {"Origin": "null"},
    {"Referer": "http://evil.example/page"},
    {"Origin": f"http://{HOST}.evil.example"},
])
def test_cookie_changes_from_elsewhere_are_refused(client, admin_cookie, airflow, headers):
    client.cookies.update(admin_cookie)
    for path, body in (("/accounts/it_main/sync", {}),
                       ("/accounts/it_main/watermark", {"value_local": "2026-10-01T00:00", "confirm": True}),
                       ("/orders/retry", {"account": "it_main", "amazon_order_id": "x"})):
        answer = client.post(path, headers=headers, json=body)
        assert answer.status_code == 403, (path, headers)
    assert airflow.triggered == []


def test_cookie_changes_from_the_same_origin_pass(client, admin_cookie):
    client.cookies.update(admin_cookie)
    assert client.post("/accounts/it_main/sync", headers=ORIGIN).status_code == 201
    referer = {"Referer": f"http://{HOST}/amazon/accounts"}
    assert client.post("/accounts/eu_de_fr/sync", headers=referer).status_code == 201
