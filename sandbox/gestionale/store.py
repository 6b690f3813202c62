"""SQLite persistence for the stand-in: one JSON record per customer, address, article, document."""

from __future__ import annotations

import json
import sqlite3
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

TABLES = {
    "clienti": "CREATE TABLE IF NOT EXISTS clienti (codice TEXT PRIMARY KEY, mastro TEXT NOT NULL,"
    " conto INTEGER NOT NULL, data TEXT NOT NULL)",
    "indirizzi": "CREATE TABLE IF NOT EXISTS indirizzi (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " cod_conto TEXT NOT NULL, data TEXT NOT NULL)",
    "articoli": "CREATE TABLE IF NOT EXISTS articoli (codice TEXT PRIMARY KEY, data TEXT NOT NULL)",
    "documenti": "CREATE TABLE IF NOT EXISTS documenti (sigla TEXT NOT NULL, serie INTEGER NOT NULL,"
    " numero INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (sigla, serie, numero))",
}
INDEXES = (
    "CREATE INDEX IF NOT EXISTS documenti_rif ON documenti (json_extract(data, '$.rif_nr_attuale'))",
    "CREATE INDEX IF NOT EXISTS clienti_mastro ON clienti (mastro, conto)",
)
CONDITIONS = {"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
TEXT_CONDITIONS = ("like", "contiene", "inizia")


class AlreadyExists(Exception):
    pass


def _dumps(record: dict) -> str:
    return json.dumps(record, default=lambda v: str(v) if isinstance(v, Decimal) else v)


class Store:
    """Thread-safe: the server's event loop and test threads share one connection under a lock."""

    def __init__(self, data_dir: str | Path):
        self.path = Path(data_dir) / "gestionale.sqlite3"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        for ddl in (*TABLES.values(), *INDEXES):
            self._db.execute(ddl)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _run(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def reset(self, articles: list[dict]) -> None:
        with self._lock:
            for table in TABLES:
                self._db.execute(f"DELETE FROM {table}")
            self._db.execute("DELETE FROM sqlite_sequence WHERE name = 'indirizzi'")
            self._db.executemany(
                "INSERT INTO articoli (codice, data) VALUES (?, ?)",
                [(a["codice"], _dumps(a)) for a in articles],
            )

    def is_empty(self) -> bool:
        return not self._run("SELECT 1 FROM articoli LIMIT 1")

    # customers
    def insert_customer(self, record: dict) -> None:
        mastro, conto = record["codice"].split(".")
        try:
            self._run(
                "INSERT INTO clienti (codice, mastro, conto, data) VALUES (?, ?, ?, ?)",
                (record["codice"], mastro, int(conto), _dumps(record)),
            )
        except sqlite3.IntegrityError:
            raise AlreadyExists(record["codice"]) from None

    def last_conto(self, mastro: str) -> int:
        return self._run("SELECT coalesce(max(conto), 0) FROM clienti WHERE mastro = ?", (mastro,))[0][0]

    def get(self, table: str, key_sql: str, params: tuple) -> dict | None:
        rows = self._run(f"SELECT data FROM {table} WHERE {key_sql}", params)
        return json.loads(rows[0][0]) if rows else None

    # addresses
    def insert_address(self, record: dict) -> int:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO indirizzi (cod_conto, data) VALUES (?, ?)", (record["cod_conto"], "{}")
            )
            new_id = cursor.lastrowid
            self._db.execute("UPDATE indirizzi SET data = ? WHERE id = ?", (_dumps({**record, "id": new_id}), new_id))
        return new_id

    # articles
    def upsert_article(self, record: dict) -> None:
        self._run("INSERT OR REPLACE INTO articoli (codice, data) VALUES (?, ?)", (record["codice"], _dumps(record)))

    # documents
    def insert_document(self, record: dict) -> int:
        """Store a document; numero 0 takes the next number of its serie, in the same transaction."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                numero = record["numero"]
                if numero == 0:
                    numero = self._db.execute(
                        "SELECT coalesce(max(numero), 0) + 1 FROM documenti WHERE sigla = ? AND serie = ?",
                        (record["sigla"], record["serie"]),
                    ).fetchone()[0]
                self._db.execute(
                    "INSERT INTO documenti (sigla, serie, numero, data) VALUES (?, ?, ?, ?)",
                    (record["sigla"], record["serie"], numero, _dumps({**record, "numero": numero})),
                )
            except sqlite3.IntegrityError:
                self._db.execute("ROLLBACK")
                raise AlreadyExists(f"{record['sigla']}{record['serie']}/{record['numero']}") from None
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return numero

    def search(self, table: str, filters: list[tuple[str, str, Any, bool]], limit: int, offset: int) -> list[dict]:
        """filters: (field, condition, value, case_insensitive); fields are validated by the caller."""
        clauses, params = [], []
        for field, condition, value, case_insensitive in filters:
            column = f"json_extract(data, '$.{field}')"
            if case_insensitive and isinstance(value, str):
                column, value = f"lower({column})", value.lower()
            if condition in TEXT_CONDITIONS:
                pattern = f"{value}%" if condition == "inizia" else f"%{value}%"
                clauses.append(f"{column} LIKE ?")
                params.append(pattern)
            else:
                clauses.append(f"{column} {CONDITIONS[condition]} ?")
                params.append(value)
        where = " AND ".join(clauses) or "1"
        rows = self._run(
            f"SELECT data FROM {table} WHERE {where} ORDER BY rowid LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [json.loads(row[0]) for row in rows]

    def count(self, table: str, filters: list[tuple[str, str, Any, bool]] | None = None) -> int:
        return len(self.search(table, filters or [], limit=-1, offset=0))
