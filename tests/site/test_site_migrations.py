from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from amazon_passweb.site.db import current_revision, downgrade, migrate
from amazon_passweb.site.models import Base

TABLES = {table.name for table in Base.metadata.sorted_tables}


def test_upgrade_from_empty_to_head_and_back_down(dialect: str, databases) -> None:
    engine = databases.engine(dialect)
    assert current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == "0016"
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


def test_the_detail_columns_come_and_go_without_touching_the_recorded_errors(dialect: str, databases) -> None:
    """0003 adds the technical detail next to the operator's message; an inbox written before it keeps
    its messages both ways."""
    engine = databases.engine(dialect)
    migrate(engine, "0002")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO inbox (account, amazon_order_id, last_update, status, last_error, attempts, customer_new, "
            "address_new, first_seen_at, updated_at) VALUES ('it_main', 'A-1', :t, 'failed', 'SKU sconosciuto', 1, "
            ":f, :f, :t, :t)"), {"t": datetime(2026, 10, 1, tzinfo=UTC), "f": False})
        conn.execute(text("INSERT INTO inbox_history (account, amazon_order_id, outcome, message, at) "
                          "VALUES ('it_main', 'A-1', 'failed', 'SKU sconosciuto', :t)"),
                     {"t": datetime(2026, 10, 1, tzinfo=UTC)})
    migrate(engine, "0003")
    assert current_revision(engine) == "0003"
    with engine.begin() as conn:
        assert conn.execute(text("SELECT last_error, last_error_detail FROM inbox")).one() == ("SKU sconosciuto", None)
        conn.execute(text("UPDATE inbox_history SET detail = 'order A-1: SKU not mapped'"))
    downgrade(engine, "0002")
    assert "detail" not in {c["name"] for c in inspect(engine).get_columns("inbox_history")}
    assert "last_error_detail" not in {c["name"] for c in inspect(engine).get_columns("inbox")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT message FROM inbox_history")).scalar_one() == "SKU sconosciuto"
        assert conn.execute(text("SELECT last_error FROM inbox")).scalar_one() == "SKU sconosciuto"


def _add_customer(conn, email_hash: str | None, identity_hash: str | None) -> None:
    conn.execute(text("INSERT INTO customers (kind, origin, email_hash, identity_hash, can_login, created_at) "
                      "VALUES ('private', 'amazon', :e, :i, :f, :t)"),
                 {"e": email_hash, "i": identity_hash, "f": False, "t": datetime(2026, 10, 1, tzinfo=UTC)})


def test_0004_lets_customers_with_an_email_share_an_identity_and_keeps_one_without(dialect: str, databases) -> None:
    engine = databases.engine(dialect)
    migrate(engine, "0003")
    with engine.begin() as conn:
        _add_customer(conn, None, "identity-of-anna")
        _add_customer(conn, "email-of-bruno", None)
    migrate(engine, "0004")
    assert current_revision(engine) == "0004"
    with engine.begin() as conn:  # two email customers and one without email, one identity
        _add_customer(conn, "email-of-carla", "identity-of-carla")
        _add_customer(conn, "another-email-of-carla", "identity-of-carla")
        _add_customer(conn, "email-of-anna", "identity-of-anna")
    with pytest.raises(IntegrityError), engine.begin() as conn:  # but one customer without email per identity
        _add_customer(conn, None, "identity-of-anna")

    downgrade(engine, "0003")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT email_hash, identity_hash FROM customers ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [
        (None, "identity-of-anna"), ("email-of-bruno", None), ("email-of-carla", None),
        ("another-email-of-carla", None), ("email-of-anna", None),
    ]
    with pytest.raises(IntegrityError), engine.begin() as conn:  # 0003's unique identity is back
        _add_customer(conn, None, "identity-of-anna")
