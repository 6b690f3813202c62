"""SQLite persistence for the stand-in: one JSON record per customer, address, article, document,
movement and dati-generali row. Documents are stored in their wire shape (header scalars plus row
arrays ``[[index, value], ...]``), without the defaults a read adds."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

TABLES = (
    "CREATE TABLE IF NOT EXISTS clienti (codice TEXT PRIMARY KEY, mastro TEXT NOT NULL,"
    " conto INTEGER NOT NULL, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS indirizzi (id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE,"
    " cod_conto TEXT NOT NULL, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS articoli (codice TEXT PRIMARY KEY, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS documenti (sigla TEXT NOT NULL, serie INTEGER NOT NULL,"
    " numero INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (sigla, serie, numero))",
    "CREATE TABLE IF NOT EXISTS movimenti (sigla TEXT NOT NULL, serie INTEGER NOT NULL,"
    " numero INTEGER NOT NULL, cod_conto TEXT NOT NULL, data TEXT NOT NULL,"
    " PRIMARY KEY (sigla, serie, numero, cod_conto))",
    "CREATE TABLE IF NOT EXISTS tabelle (risorsa TEXT NOT NULL, chiave TEXT NOT NULL, data TEXT NOT NULL,"
    " PRIMARY KEY (risorsa, chiave))",
    # quantity of an order row evaded by warehouse movements (the residual is quantita minus this)
    "CREATE TABLE IF NOT EXISTS evasioni (ordine TEXT NOT NULL, id_riga INTEGER NOT NULL,"
    " quantita TEXT NOT NULL, PRIMARY KEY (ordine, id_riga))",
    "CREATE INDEX IF NOT EXISTS documenti_rif ON documenti (json_extract(data, '$.rif_nr_attuale'))",
    "CREATE INDEX IF NOT EXISTS clienti_mastro ON clienti (mastro, conto)",
)
TABLE_NAMES = ("clienti", "indirizzi", "articoli", "documenti", "movimenti", "tabelle", "evasioni")


class AlreadyExists(Exception):
    pass


def dumps(record: dict) -> str:
    return json.dumps(record, default=lambda v: float(v) if isinstance(v, Decimal) else str(v))


class Store:
    """Thread-safe: the server's event loop and test threads share one connection under a lock."""

    def __init__(self, data_dir: str | Path):
        self.path = Path(data_dir) / "gestionale.sqlite3"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        for ddl in TABLES:
            self.db.execute(ddl)

    def close(self) -> None:
        with self.lock:
            self.db.close()

    def run(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self.lock:
            return self.db.execute(sql, params).fetchall()

    def transaction(self):
        """``with store.transaction() as db:`` — BEGIN IMMEDIATE .. COMMIT under the lock."""
        return _Transaction(self)

    def reset(self, articles: list[dict], tables: dict[str, list[dict]], table_keys: dict[str, str]) -> None:
        with self.transaction() as db:
            for table in TABLE_NAMES:
                db.execute(f"DELETE FROM {table}")
            db.executemany(
                "INSERT INTO articoli (codice, data) VALUES (?, ?)", [(a["codice"], dumps(a)) for a in articles]
            )
            for name, rows in tables.items():
                self._put_table(db, name, rows, table_keys[name])

    def replace_table(self, name: str, rows: list[dict], key: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM tabelle WHERE risorsa = ?", (name,))
            self._put_table(db, name, rows, key)

    @staticmethod
    def _put_table(db, name: str, rows: list[dict], key: str) -> None:
        db.executemany(
            "INSERT INTO tabelle (risorsa, chiave, data) VALUES (?, ?, ?)",
            [(name, str(r[key]), dumps(r)) for r in rows],
        )

    def is_empty(self) -> bool:
        return not self.run("SELECT 1 FROM articoli LIMIT 1")

    def get(self, table: str, where: str, params: tuple) -> dict | None:
        rows = self.run(f"SELECT data FROM {table} WHERE {where} ORDER BY rowid LIMIT 1", params)
        return json.loads(rows[0][0]) if rows else None

    def scan(self, table: str, where: str = "1", params: tuple = (), after: int = 0) -> Iterator[tuple[int, dict]]:
        """(rowid, record) in insertion order after ``after``, read in chunks."""
        while True:
            rows = self.run(
                f"SELECT rowid, data FROM {table} WHERE rowid > ? AND ({where}) ORDER BY rowid LIMIT 500",
                (after, *params),
            )
            for rowid, data in rows:
                yield rowid, json.loads(data)
            if len(rows) < 500:
                return
            after = rows[-1][0]

    def count(self, table: str, equals: dict[str, Any] | None = None) -> int:
        equals = equals or {}
        return sum(all(r.get(k) == v for k, v in equals.items()) for _, r in self.scan(table))

    # customers
    def insert_customer(self, record: dict) -> None:
        mastro, conto = record["codice"].split(".")
        try:
            self.run(
                "INSERT INTO clienti (codice, mastro, conto, data) VALUES (?, ?, ?, ?)",
                (record["codice"], mastro, int(conto), dumps(record)),
            )
        except sqlite3.IntegrityError:
            raise AlreadyExists(record["codice"]) from None

    def last_conto(self, mastro: str) -> int:
        return self.run("SELECT coalesce(max(conto), 0) FROM clienti WHERE mastro = ?", (mastro,))[0][0]

    def update(self, table: str, where: str, params: tuple, record: dict) -> None:
        self.run(f"UPDATE {table} SET data = ? WHERE {where}", (dumps(record), *params))

    # addresses
    def insert_address(self, record: dict, make_id) -> str:
        with self.transaction() as db:
            seq = db.execute("SELECT coalesce(max(seq), 0) + 1 FROM indirizzi").fetchone()[0]
            new_id = make_id(seq)
            db.execute(
                "INSERT INTO indirizzi (id, seq, cod_conto, data) VALUES (?, ?, ?, ?)",
                (new_id, seq, record["cod_conto"], dumps({**record, "id": new_id})),
            )
        return new_id

    # articles
    def insert_article(self, record: dict) -> None:
        try:
            self.run("INSERT INTO articoli (codice, data) VALUES (?, ?)", (record["codice"], dumps(record)))
        except sqlite3.IntegrityError:
            raise AlreadyExists(record["codice"]) from None

    # documents (orders in documenti, warehouse movements in movimenti)
    def insert_document(self, table: str, record: dict) -> int:
        """Store a document; numero 0 takes the next number of its sigla and serie, in the same transaction."""
        extra = ("cod_conto",) if table == "movimenti" else ()
        columns = ("sigla", "serie", "numero", *extra)
        with self.transaction() as db:
            numero = record["numero"]
            if numero == 0:
                numero = db.execute(
                    f"SELECT coalesce(max(numero), 0) + 1 FROM {table} WHERE sigla = ? AND serie = ?",
                    (record["sigla"], record["serie"]),
                ).fetchone()[0]
            stored = {**record, "numero": numero}
            try:
                db.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}, data) VALUES ({', '.join('?' * (len(columns) + 1))})",
                    (*(stored.get(c, "") for c in columns), dumps(stored)),
                )
            except sqlite3.IntegrityError:
                raise AlreadyExists(record["numero"]) from None
        return numero


class _Transaction:
    def __init__(self, store: Store):
        self.store = store

    def __enter__(self):
        self.store.lock.acquire()
        self.store.db.execute("BEGIN IMMEDIATE")
        return self.store.db

    def __exit__(self, kind, value, traceback):
        try:
            self.store.db.execute("ROLLBACK" if kind else "COMMIT")
        finally:
            self.store.lock.release()
