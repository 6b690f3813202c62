"""Settings from the gestionale_webapi Airflow connection; headers; credentials never shown."""

from __future__ import annotations

import json

import pytest
from gestionale_builders import AZIENDA, DOMINIO, PASSWORD, USER

from amazon_passweb.gestionale.settings import WebApiSettings


class FakeConnection:
    conn_id = "gestionale_webapi"

    def __init__(self, host, schema=None, port=None, login=USER, password=PASSWORD, extra=None):
        self.host, self.schema, self.port, self.login, self.password = host, schema, port, login, password
        self.extra = json.dumps(extra or {})


def test_settings_from_connection_fields():
    connection = FakeConnection(
        "mexal.example.it",
        schema="https",
        port=9004,
        extra={"dominio": "acme", "azienda": "ACM", "anno": 2026, "magazzino": 3, "max_concurrency": 3},
    )
    settings = WebApiSettings.from_connection(connection)
    assert settings.base_url == "https://mexal.example.it:9004/webapi/"
    assert (
        settings.user,
        settings.dominio,
        settings.azienda,
        settings.anno,
        settings.magazzino,
        settings.max_concurrency,
    ) == (USER, "acme", "ACM", 2026, 3, 3)
    headers = settings.headers()
    assert headers["Authorization"].startswith("Passepartout ") and headers["Authorization"].endswith(
        " Dominio=acme"
    )
    assert headers["Coordinate-Gestionale"] == "Azienda=ACM Anno=2026 Magazzino=3"
    assert PASSWORD not in repr(settings)


def test_connection_without_company_is_refused():
    with pytest.raises(ValueError, match="extra.azienda"):
        WebApiSettings.from_connection(FakeConnection("mexal.example.it"))
    with pytest.raises(ValueError, match="between 1 and 5"):
        WebApiSettings.from_connection(FakeConnection("h", extra={"azienda": "A", "max_concurrency": 8}))


def test_hook_builds_a_working_client_from_the_airflow_connection(standin, monkeypatch, account):
    from amazon_passweb.gestionale.hook import GestionaleHook

    host = standin.base_url.removeprefix("http://").removesuffix("/webapi/")
    name, port = host.split(":")
    monkeypatch.setenv(
        "AIRFLOW_CONN_GESTIONALE_WEBAPI",
        json.dumps(
            {
                "conn_type": "http",
                "host": name,
                "port": int(port),
                "schema": "http",
                "login": USER,
                "password": PASSWORD,
                "extra": {"dominio": DOMINIO, "azienda": AZIENDA, "max_concurrency": 4},
            }
        ),
    )
    client = GestionaleHook().get_client()
    assert client.settings.base_url == standin.base_url and client.settings.max_concurrency == 4
    assert client.get_article("ART001")["codice"] == "ART001"
    assert PASSWORD not in repr(client)
