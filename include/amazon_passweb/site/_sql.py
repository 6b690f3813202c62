"""Small SQL helpers shared by the repositories."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


_DIALECTS = {"postgresql": postgresql, "sqlite": sqlite}


def dialect_name(session: Session) -> str:
    name = session.get_bind().dialect.name
    if name not in _DIALECTS:
        raise NotImplementedError(f"the site store supports SQLite and PostgreSQL, not {name}")
    return name


def dialect_insert(session: Session, table: Table) -> Any:
    """An INSERT that supports ON CONFLICT on both supported dialects."""
    return _DIALECTS[dialect_name(session)].insert(table)


def per_dialect(build: Callable[[Any], T]) -> dict[str, T]:
    """A statement built once per supported dialect (``build`` gets the dialect module, for its
    ON CONFLICT insert); pick it with ``[dialect_name(session)]``."""
    return {name: build(module) for name, module in _DIALECTS.items()}
