"""Alembic environment: run by ``db.migrate`` / ``db.downgrade`` with an engine
passed in ``config.attributes``; ``alembic -x url=...`` works too."""

from alembic import context
from sqlalchemy import text

from amazon_passweb.site.db import make_engine
from amazon_passweb.site.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
            "sqlalchemy.url"
        )
        if not url:
            from amazon_passweb.site.db import site_database_url

            url = site_database_url()
        engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Tasks starting together may all call migrate(): one at a time
                # (SQLite's BEGIN IMMEDIATE already serialises them).
                connection.execute(text("SELECT pg_advisory_xact_lock(724300104)"))
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported: pass a database URL")
run_migrations_online()
