"""The stand-in: the WebAPI (webapi.py) behind the Gate, its store, settings and test controls."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import time
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from sandbox.gestionale import catalogue, documents
from sandbox.gestionale.errors import GestionaleError, NotFound, NotImplementedByStandIn, error_body
from sandbox.gestionale.faults import Faults
from sandbox.gestionale.fields import LENGTHS
from sandbox.gestionale.gate import AuthSettings, Gate, drop_connection, send_json
from sandbox.gestionale.query import Tokens
from sandbox.gestionale.recorder import RequestRecorder
from sandbox.gestionale.store import Store, dumps
from sandbox.gestionale.tables import TABLE_KEYS, seed_tables
from sandbox.gestionale.totals import document_totals
from sandbox.gestionale.webapi import Answer, Request, WebApi, find_route, wait_disconnect

# The rates a row's cod_iva may name. The reference publishes no table of VAT rates (only
# dati-generali/esenzioni-iva, and the rate as cod_iva "22" in the row list): a real gestionale knows
# the rates its company set up, and refuses any other. The stand-in's company sells in Italy and, under
# the One-Stop-Shop, in Germany (19, 7), France (20, 5.5), Spain (21, 10) and the United Kingdom (20).
VAT_RATES = ("22", "10", "5", "4", "0", "19", "7", "20", "5.5", "21")


class StandIn:
    """Everything a test needs in-process: the ASGI app, its store, faults and gate.

    Options: ``customer_auto`` accepts ``mastro.AUTO`` customer codes (undocumented by the
    reference, off by default); ``tables`` replaces seeded dati-generali tables; ``vat_rates``
    the rates a row's cod_iva may name (besides exemption codes); ``field_limits`` overrides
    the stand-in's assumed field lengths (``"*"`` for the default); ``next_ttl_s`` how long a
    ``next`` token lives.
    """

    def __init__(
        self,
        data_dir,
        auth: AuthSettings | None = None,
        catalogue_rows=None,
        *,
        customer_auto: bool = False,
        tables: dict[str, list[dict]] | None = None,
        vat_rates: tuple[str, ...] = VAT_RATES,
        field_limits: dict[str, int] | None = None,
        next_ttl_s: float = 60.0,
    ):
        self.store = Store(data_dir)
        self.faults = Faults()
        self.auth = auth or AuthSettings()
        self.catalogue_rows = catalogue_rows
        self.customer_auto = customer_auto
        self.initial_tables = seed_tables(tables)
        self.tables = self.initial_tables
        self.vat_rates = tuple(vat_rates)
        self.field_limits = {**LENGTHS, **(field_limits or {})}
        self.tokens = Tokens(next_ttl_s)
        if self.store.is_empty():
            self._seed()
        self.webapi = WebApi(self)
        self.gate = Gate(self._app, self.auth, self.faults)
        self.recorder = RequestRecorder(self.gate)  # records only when GESTIONALE_REQUEST_LOG is set

    async def __call__(self, scope, receive, send):
        await self.recorder(scope, receive, send)

    def _seed(self) -> None:
        # every record of a real archive carries its data_ult_mod (info: "Data ora ultima modifica"):
        # the seeded articles were last changed when the stand-in seeded them
        stamp = self.stamp()
        articles = [dict(row, data_ult_mod=stamp) for row in catalogue.seed_rows(self.catalogue_rows)]
        self.store.reset(articles, self.tables, TABLE_KEYS)

    # ---- in-process API for tests and tools
    def reset(self) -> None:
        """Empty archives (articles and tables re-seeded), no faults, no lockouts, no request still running."""
        self.faults.clear()
        deadline = time.monotonic() + 10
        while any(self.gate.in_flight.values()) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.tables = self.initial_tables  # a table set_table replaced lasts until here, as it says
        self._seed()
        self.tokens.clear()
        self.gate.unlock()
        self.gate.stats.clear()

    def set_table(self, name: str, rows: list[dict]) -> None:
        """Replace one dati-generali table (e.g. drop an exemption code) until the next reset."""
        self.tables = seed_tables({**self.tables, name: rows})
        self.store.replace_table(name, self.tables[name], TABLE_KEYS[name])

    def count_documents(self, **equals: Any) -> int:
        return self.store.count("documenti", equals)

    def count_movements(self, **equals: Any) -> int:
        return self.store.count("movimenti", equals)

    def count_customers(self, **equals: Any) -> int:
        return self.store.count("clienti", equals)

    def count_addresses(self, **equals: Any) -> int:
        return self.store.count("indirizzi", equals)

    def documents(self, **equals: Any) -> list[dict]:
        """Order documents as a keyed read answers them (header and rows; there are no totals)."""
        return [
            documents.read_form(r, documents.ORDERS)
            for _, r in self.store.scan("documenti")
            if all(r.get(k) == v for k, v in equals.items())
        ]

    def totals(self, key: str) -> dict | None:
        """An order's totals computed from its rows as the gestionale does (see totals.py), or None."""
        sigla, serie, numero = key.split("+")
        record = self.store.get("documenti", "sigla = ? AND serie = ? AND numero = ?", (sigla, int(serie), int(numero)))
        return None if record is None else document_totals(record)

    # ---- helpers the WebAPI uses
    def table_row(self, name: str, key: Any) -> dict | None:
        return self.store.get("tabelle", "risorsa = ? AND chiave = ?", (name, str(key)))

    def vat_code_known(self, code: str) -> bool:
        rate = str(code).replace(",", ".")  # a rate may be written with the Italian decimal comma
        return rate in self.vat_rates or self.table_row("dati-generali/esenzioni-iva", code) is not None

    def evaded(self, order_key: str, id_riga: int) -> Decimal:
        rows = self.store.run("SELECT quantita FROM evasioni WHERE ordine = ? AND id_riga = ?", (order_key, id_riga))
        return Decimal(rows[0][0]) if rows else Decimal(0)

    def record_evasions(self, evasions: list[tuple[str, int, Decimal]]) -> None:
        for key, id_riga, quantity in evasions:
            total = self.evaded(key, id_riga) + quantity
            self.store.run(
                "INSERT OR REPLACE INTO evasioni (ordine, id_riga, quantita) VALUES (?, ?, ?)",
                (key, id_riga, str(total)),
            )

    @staticmethod
    def stamp(previous: str = "") -> str:
        """data_ult_mod for a write: now (AAAAMMGG HHMMSS), or a second after the record's previous
        value, so that two writes of a record in the same second never share one (the
        concurrent-modification check relies on it)."""
        now = dt.datetime.now().replace(microsecond=0)
        if previous and now <= (before := dt.datetime.strptime(previous, "%Y%m%d %H%M%S")):
            now = before + dt.timedelta(seconds=1)
        return now.strftime("%Y%m%d %H%M%S")

    async def commit_create(self, request: Request, commit) -> Answer:
        """Run a validated create with the fault injections for unknown outcomes."""
        scope = request.scope
        if self.faults.take("drop_before_commit_next"):
            await drop_connection(scope, _discard)
            return Answer(0)
        if self.faults.take("commit_late_next"):
            await self._commit_late(scope, commit)
            return Answer(0)
        location = commit()
        if self.faults.take("drop_after_commit_next"):
            await drop_connection(scope, _discard)
            return Answer(0)
        if self.faults.take("hang_after_commit_next"):
            await asyncio.sleep(self.faults.hang_s)
        return Answer(201, None, {"Location": location})

    async def after_revision(self, request: Request, answer: Answer) -> Answer:
        """A revision already applied: its answer lost when the fault says so."""
        if self.faults.take("drop_after_revision_next"):
            await drop_connection(request.scope, _discard)
            return Answer(0)
        return answer

    async def _commit_late(self, scope, commit) -> None:
        """Answer nothing; commit commit_late_s after the request; drop the connection once the client
        has given up or the commit is done, whichever comes first."""
        delay = self.faults.commit_late_s

        def late_commit() -> None:
            # refused at commit time (e.g. a duplicate number): nothing stored, as a failed create
            with contextlib.suppress(GestionaleError):
                commit()

        asyncio.get_running_loop().call_later(delay, late_commit)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wait_disconnect(scope["sandbox_receive"]), timeout=delay + 0.05)
        await drop_connection(scope, _discard)

    # ---- the ASGI application behind the gate
    async def _app(self, scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"].startswith("/_sandbox/"):
            status, answer = await self._control(scope, body)
            return await send_json(send, status, answer)
        scope["sandbox_receive"] = receive
        try:
            route, match = find_route(scope["method"], scope["path"])
            answer = await self.webapi.handle(Request(scope, body, route, match))
        except NotFound:
            return await send_json(send, 404, None)
        except NotImplementedByStandIn:
            detail = f"{scope['method']} {scope['path']} non implementato dallo stand-in"
            return await send_json(send, 501, error_body(scope, 501, 501, "non implementato", detail))
        except GestionaleError as error:
            body_ = error_body(scope, error.status, error.code, error.message, error.detail)
            return await send_json(send, error.status, body_)
        if answer.status == 0:  # the connection was dropped on purpose
            return
        headers = [(k.lower().encode(), v.encode()) for k, v in answer.headers.items()]
        if answer.body is None:
            return await send_json(send, answer.status, None, headers)
        payload = dumps(answer.body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    *headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def _control(self, scope, body: bytes) -> tuple[int, dict]:
        """Sandbox control and inspection: not part of the WebAPI, no authentication."""
        path, method = scope["path"], scope["method"]
        query = dict(parse_qsl(scope.get("query_string", b"").decode()))
        try:
            data = json.loads(body) if body else {}
            if (method, path) == ("GET", "/_sandbox/health"):
                return 200, {"ok": True}
            if (method, path) == ("GET", "/_sandbox/faults"):
                return 200, self.faults.snapshot()
            if (method, path) == ("POST", "/_sandbox/faults"):
                self.faults.update(**data)
                return 200, self.faults.snapshot()
            if (method, path) == ("POST", "/_sandbox/reset"):
                await asyncio.get_running_loop().run_in_executor(None, self.reset)  # waits for running requests
                return 200, {"ok": True}
            if (method, path) == ("POST", "/_sandbox/unlock"):
                self.gate.unlock(query.get("user"))
                return 200, {"ok": True}
            if (method, path) == ("POST", "/_sandbox/tables"):
                for name, rows in data.items():
                    self.set_table(name, rows)
                return 200, {"ok": True}
            if (method, path) == ("GET", "/_sandbox/counts"):
                rif = query.get("rif_nr_attuale")
                return 200, {
                    "documenti": self.count_documents(**({"rif_nr_attuale": rif} if rif else {})),
                    "movimenti": self.count_movements(),
                    "clienti": self.count_customers(),
                    "indirizzi": self.count_addresses(),
                    "stats": dict(self.gate.stats),
                    "failed_logins": dict(self.gate.failed_logins),
                }
            if method == "GET" and path.startswith("/_sandbox/totali/ordini-clienti/"):
                found = self.totals(path.rsplit("/", 1)[-1])
                if found is None:
                    return 404, {"error": "documento inesistente"}
                return 200, json.loads(dumps(found))
        except (ValueError, TypeError) as error:
            return 400, {"error": str(error)}
        return 404, {"error": "unknown sandbox endpoint"}


async def _discard(_message) -> None:
    """The answer of a dropped connection: sent nowhere."""
