"""One database, one key: the fingerprint of the key that encrypts the buyer data is recorded in
the database and checked whenever the store is opened.

A store opened with another key would not fail loudly by itself: its lookup hashes miss every
existing customer (the importer creates them again) and what it writes cannot be read with the
first key. So :func:`check_key` refuses, naming both fingerprints (``crypto.key_fingerprint``;
never the key):

- a database with a fingerprint accepts only the key with that fingerprint;
- a database without one (new, or made before migration 0013) gets the key's fingerprint, but
  only after the key has decrypted the oldest and newest encrypted value of every table that
  holds any: data written with another key is refused, not joined.

Every writing unit of work checks again as it begins (:func:`guard_writes`): a process that
opened the store before a key rotation (a task, the operator pages' long-lived store) stops at its
next write instead of writing with the old key. The check and the rotation exclude each other:
on SQLite both run under the database's write lock (``BEGIN IMMEDIATE``); on PostgreSQL writers
hold a shared advisory lock for their transaction and the rotation an exclusive one, so a writer
either ends before the rotation begins or begins after it committed, and then sees the new
fingerprint.
"""

from __future__ import annotations

import logging
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import Connection, Engine, Table, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from ._sql import utcnow
from .crypto import PiiCipher, PiiKeyError, describe_fingerprint
from .db import READ_ONLY_OPTION
from .errors import StoreError
from .models import Base, SiteSetting
from .pii_columns import ENCRYPTED

log = logging.getLogger(__name__)

SETTINGS = SiteSetting.__table__
FINGERPRINT_SETTING = "pii_key_fingerprint"
# PostgreSQL advisory lock taken shared by writers and exclusively by a rotation ("pii-key" in ASCII).
KEY_LOCK = 0x7069692D6B6579
_ROTATE_HINT = (
    "configure the key this database was written with (SITE_PII_KEY or the 'pii_key' extra of the "
    "passweb_site connection); to move the data to a new key, run "
    "`python -m amazon_passweb.site rotate-key --new-key-file FILE` with the old key configured"
)


class KeyMismatch(PiiKeyError):
    """The configured key is not the one the site database's buyer data is encrypted with."""


class SchemaTooOld(StoreError):
    def __init__(self) -> None:
        super().__init__(
            "the site database's schema is older than this version (no site_settings table): "
            "run `python -m amazon_passweb.site upgrade` first"
        )


def mismatch(recorded: str, configured: str) -> KeyMismatch:
    return KeyMismatch(
        f"the site database's buyer data is encrypted with the key whose fingerprint is "
        f"{describe_fingerprint(recorded)}, but the configured key's fingerprint is "
        f"{describe_fingerprint(configured)}: refused, nothing is read or written with it; {_ROTATE_HINT}"
    )


def recorded_fingerprint(conn: Connection) -> str | None:
    """The fingerprint stored in the database; None when none is recorded yet."""
    try:
        return conn.execute(
            select(SETTINGS.c.value).where(SETTINGS.c.name == FINGERPRINT_SETTING)
        ).scalar()
    except DBAPIError as error:  # told by its message: the failed statement may have ended the transaction
        reason = str(error.orig)
        if SETTINGS.name in reason and ("no such table" in reason or "does not exist" in reason):
            raise SchemaTooOld() from None
        raise


def check_key(engine: Engine, cipher: PiiCipher) -> None:
    """Refuse ``cipher`` unless it is the database's key; record its fingerprint on a database that
    has none yet (after it decrypted the data already there). Raises :class:`KeyMismatch`."""
    with engine.execution_options(**{READ_ONLY_OPTION: True}).connect() as conn:
        recorded = recorded_fingerprint(conn)
    if recorded is None:
        recorded = _record(engine, cipher)
    if recorded != cipher.fingerprint:
        raise mismatch(recorded, cipher.fingerprint)


def guard_writes(conn: Connection, cipher: PiiCipher) -> None:
    """At the start of a writing transaction: hold off a rotation until it ends (PostgreSQL; SQLite's
    write lock does it there), and refuse ``cipher`` if the database records another key's fingerprint."""
    _hold_off_rotation(conn)
    recorded = recorded_fingerprint(conn)
    if recorded is not None and recorded != cipher.fingerprint:
        raise mismatch(recorded, cipher.fingerprint)


def _hold_off_rotation(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": KEY_LOCK})


def exclude_writers(conn: Connection) -> None:
    """The rotation's side of :func:`guard_writes`: wait for the writing transactions under way, and
    make new ones wait until this transaction ends (PostgreSQL; on SQLite the write lock is held)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": KEY_LOCK})


def _record(engine: Engine, cipher: PiiCipher) -> str:
    """Record the key's fingerprint in one writing transaction and return the one recorded (another
    process opening the same new database at once may have recorded its own first)."""
    with engine.begin() as conn:  # SQLite: BEGIN IMMEDIATE, so two openers take turns
        _hold_off_rotation(conn)
        recorded = recorded_fingerprint(conn)
        if recorded is not None:
            return recorded
        verify_decrypts(conn, cipher)
        conn.execute(_insert(conn).values(
            name=FINGERPRINT_SETTING, value=cipher.fingerprint, updated_at=utcnow()
        ).on_conflict_do_nothing())
        recorded = recorded_fingerprint(conn)
    if recorded == cipher.fingerprint:
        log.info("site database: recorded the PII key's fingerprint %s", describe_fingerprint(recorded))
    return recorded or cipher.fingerprint


def set_fingerprint(conn: Connection, fingerprint: str) -> None:
    """Record ``fingerprint`` as the database's key (the rotation's last step)."""
    stmt = _insert(conn).values(name=FINGERPRINT_SETTING, value=fingerprint, updated_at=utcnow())
    conn.execute(stmt.on_conflict_do_update(
        index_elements=[SETTINGS.c.name], set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at}
    ))


def verify_decrypts(conn: Connection, cipher: PiiCipher) -> None:
    """Decrypt the oldest and newest encrypted values of every table that holds any, or raise
    :class:`KeyMismatch`: a database without a fingerprint is adopted only by its own key."""
    for table_name, columns in ENCRYPTED.items():
        for row_id, values in _samples(conn, Base.metadata.tables[table_name], columns):
            for column, blob in values.items():
                try:
                    cipher.decrypt(blob, columns[column])
                except (InvalidTag, ValueError):
                    raise KeyMismatch(
                        f"the site database records no key fingerprint (it predates them) and the configured "
                        f"key (fingerprint {describe_fingerprint(cipher.fingerprint)}) cannot decrypt its buyer "
                        f"data ({table_name} row {row_id}, {column}): it was written with another key; "
                        f"nothing was recorded; {_ROTATE_HINT}"
                    ) from None


def _samples(conn: Connection, source: Table, columns: dict[str, str]) -> list[tuple[int, dict[str, bytes]]]:
    """The first and the last row (by id) holding an encrypted value, with their non-null values."""
    encrypted = [source.c[name] for name in columns]
    holds_data = or_(*(column.is_not(None) for column in encrypted))
    samples = []
    for order in (source.c.id.asc(), source.c.id.desc()):
        row = conn.execute(select(source.c.id, *encrypted).where(holds_data).order_by(order).limit(1)).first()
        if row is not None:
            values = {name: bytes(value) for name, value in zip(columns, row[1:], strict=True) if value is not None}
            samples.append((row[0], values))
    return samples


def _insert(conn: Connection) -> Any:
    """An INSERT into site_settings with ON CONFLICT, in the connection's dialect."""
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(SETTINGS)
