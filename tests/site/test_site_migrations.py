from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from amazon_passweb.site.db import current_revision, downgrade, migrate
from amazon_passweb.site.models import Base

TABLES = {table.name for table in Base.metadata.sorted_tables}


def test_upgrade_from_empty_to_head_and_back_down(dialect: str, databases) -> None:
    engine = databases.engine(dialect)
    assert current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == "0002"
    assert set(inspect(engine).get_table_names()) >= TABLES
    migrate(engine)  # idempotent
    downgrade(engine)
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)  # and up again
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_models_match_the_migrations(dialect: str, databases) -> None:
    engine = databases.engine(dialect)
    migrate(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
