"""Where the site database is, how to connect to it, and how to migrate it."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

CONNECTION_ID = "passweb_site"  # the Airflow connection (site.hook)
URL_ENV = "SITE_DATABASE_URL"
PROJECT_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "site.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
READ_ONLY_OPTION = "site_read_only"


def airflow_connection(conn_id: str = CONNECTION_ID) -> Any | None:
    """The Airflow connection, or None when Airflow or the connection is absent.

    Asked of ``site/hook.py`` (the one module here that imports Airflow) at call time, not
    at import, so the store stays usable (and fast to import) outside a scheduler.
    """
    try:
        from amazon_passweb.site.hook import SiteHook
    except ImportError:  # no Airflow installed
        return None
    return SiteHook(conn_id).find_connection()


def url_from_connection(conn: Any) -> str:
    """A SQLAlchemy URL from the connection: its host when that is a full URL
    (the documented form), else the connection's own URI."""
    host = conn.host or ""
    if "://" in host:
        return host
    uri = conn.get_uri()
    for old, new in (("postgres://", "postgresql+psycopg2://"), ("postgresql://", "postgresql+psycopg2://")):
        if uri.startswith(old):
            return new + uri[len(old) :]
    return uri


def site_database_url(conn_id: str = CONNECTION_ID) -> str:
    """The site DB URL: the ``passweb_site`` connection, else ``SITE_DATABASE_URL``,
    else the demo SQLite file ``var/site.db`` under the project root."""
    conn = airflow_connection(conn_id)
    if conn is not None:
        return url_from_connection(conn)
    return os.environ.get(URL_ENV) or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def connection_extra(conn_id: str = CONNECTION_ID) -> dict:
    conn = airflow_connection(conn_id)
    if conn is None:
        return {}
    extra = conn.extra_dejson
    return extra if isinstance(extra, dict) else {}


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions: the driver's own
        # handling breaks SAVEPOINT, which order creation relies on.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Erased data (the purge) is overwritten with zeros, not left in free space.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: a deferred transaction that
        # later writes can fail at once with SQLITE_BUSY instead of waiting.
        # Read-only work (reports, the UI) begins deferred, so it never queues
        # behind an import: in WAL mode readers and the writer do not block.
        read_only = conn.get_execution_options().get(READ_ONLY_OPTION, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine configured for the store (SQLite: WAL, foreign keys, savepoints)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # psycopg2's execute_batch for an UPDATE run over many rows (a batch's inbox marks): a few
    # round trips instead of one per order. INSERTs use multi-row VALUES either way.
    kwargs.setdefault("executemany_mode", "values_plus_batch")
    engine = create_engine(url, **kwargs)
    _configure_postgresql(engine)
    return engine


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Plan each execution for the table as it is now. The foreign-key checks run as cached
        # plans: made on an empty orders table (a new site, its first import) they scan the table
        # for every row inserted, and the import slows down with every order it adds.
        cursor = dbapi_connection.cursor()
        cursor.execute("SET plan_cache_mode = force_custom_plan")
        cursor.close()
        dbapi_connection.commit()


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def migrate(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` (default: the newest)."""
    from alembic import command

    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    command.upgrade(_alembic_config(engine), revision)


def downgrade(url_or_engine: str | Engine, revision: str = "base") -> None:
    """Downgrade the schema to ``revision`` (default: empty)."""
    from alembic import command

    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    command.downgrade(_alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
