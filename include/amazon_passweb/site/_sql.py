"""Small SQL helpers shared by the repositories."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def utcnow() -> datetime:
    return datetime.now(UTC)


def dialect_insert(session: Session, table: Table) -> Any:
    """An INSERT that supports ON CONFLICT on both supported dialects."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"the site store supports SQLite and PostgreSQL, not {name}")
