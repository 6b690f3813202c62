import json
import logging

import pytest

from amazon_passweb.site import open_site_store
from amazon_passweb.site.crypto import KEY_ENV, PiiKeyError, generate_key
from amazon_passweb.site.db import DEFAULT_SQLITE_PATH, URL_ENV, connection_extra, site_database_url

CONN_ENV = "AIRFLOW_CONN_PASSWEB_SITE"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (CONN_ENV, URL_ENV, KEY_ENV):
        monkeypatch.delenv(name, raising=False)


def test_without_connection_the_demo_sqlite_file_is_used() -> None:
    assert site_database_url() == f"sqlite:///{DEFAULT_SQLITE_PATH}"
    assert DEFAULT_SQLITE_PATH.parent.name == "var"


def test_without_connection_the_environment_may_name_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(URL_ENV, "sqlite:////tmp/elsewhere.db")
    assert site_database_url() == "sqlite:////tmp/elsewhere.db"


def test_the_connection_host_holds_the_sqlalchemy_url(monkeypatch: pytest.MonkeyPatch) -> None:
    key = generate_key()
    conn = {
        "conn_type": "generic",
        "host": "postgresql+psycopg2://site@db:5432/passweb",
        "extra": {"pii_key": key},
    }
    monkeypatch.setenv(CONN_ENV, json.dumps(conn))
    monkeypatch.setenv(URL_ENV, "sqlite:////tmp/ignored.db")  # the connection wins
    assert site_database_url() == "postgresql+psycopg2://site@db:5432/passweb"
    assert connection_extra()["pii_key"] == key


def test_a_postgres_connection_uri_is_turned_into_a_sqlalchemy_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONN_ENV, "postgres://site:secret@db:5432/passweb")
    assert site_database_url() == "postgresql+psycopg2://site:secret@db:5432/passweb"


def test_no_database_opens_without_a_key_and_only_sqlite_on_the_demo_key_asked_for(
    tmp_path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for url in (f"sqlite:///{tmp_path / 'site.db'}", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"):
        with pytest.raises(PiiKeyError, match="generate-key"):
            open_site_store(url, upgrade=True)
    assert not (tmp_path / "site.db").exists()  # refused before the database is touched
    monkeypatch.setenv(KEY_ENV, "demo")
    with caplog.at_level(logging.WARNING):
        store = open_site_store(f"sqlite:///{tmp_path / 'demo.db'}", upgrade=True)
    store.dispose()
    assert "PUBLIC demo key" in caplog.text
    with pytest.raises(PiiKeyError, match="only a SQLite demo database"):
        open_site_store("postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
