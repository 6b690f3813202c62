"""Fixtures for the site store: every store test runs on SQLite and on PostgreSQL.

Each session creates its own PostgreSQL database (and SQLite file) and drops it
at the end; every test starts from empty tables.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from amazon_passweb.site.crypto import PiiCipher, generate_key
from amazon_passweb.site.db import make_engine, migrate
from amazon_passweb.site.models import Base
from amazon_passweb.site.unit_of_work import SiteStore

# The server's maintenance database; override to test against another server.
PG_ADMIN_URL = os.environ.get("SITE_TEST_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
DIALECTS = [pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)]


def _pg_admin() -> Engine:
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


@functools.cache
def _postgres_available() -> bool:
    admin = _pg_admin()
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        admin.dispose()


class DatabaseFactory:
    """Creates uniquely named throwaway databases and drops them afterwards."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._pg_names: list[str] = []
        self._engines: list[Engine] = []

    def url(self, dialect: str) -> str:
        name = f"site_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        if dialect == "sqlite":
            return f"sqlite:///{self._tmp.mktemp('site-db') / (name + '.db')}"
        if not _postgres_available():
            pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self._pg_names.append(name)
        return admin.url.set(database=name).render_as_string(hide_password=False)

    def engine(self, dialect: str) -> Engine:
        engine = make_engine(self.url(dialect))
        self._engines.append(engine)
        return engine

    def drop_all(self) -> None:
        for engine in self._engines:
            engine.dispose()
        if not self._pg_names:
            return
        admin = _pg_admin()
        with admin.connect() as conn:
            for name in self._pg_names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory)
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session", params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def migrated_engine(dialect: str, databases: DatabaseFactory) -> Engine:
    engine = databases.engine(dialect)
    migrate(engine)
    return engine


@pytest.fixture(scope="session")
def pii_key() -> str:
    return generate_key()


@pytest.fixture
def store(migrated_engine: Engine, pii_key: str) -> SiteStore:
    """A store on empty tables (emptied before, never trusting a previous test)."""
    with migrated_engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    return SiteStore(migrated_engine, PiiCipher(pii_key))
