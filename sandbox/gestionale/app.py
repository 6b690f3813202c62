"""The stand-in WebAPI: FastAPI routes over the SQLite store, behind the Gate."""

from __future__ import annotations

import asyncio
import json
import re
import time
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from sandbox.gestionale import catalogue, documents, schema
from sandbox.gestionale.faults import Faults
from sandbox.gestionale.gate import AuthSettings, Gate, drop_connection
from sandbox.gestionale.store import CONDITIONS, TEXT_CONDITIONS, AlreadyExists, Store
from sandbox.gestionale.validation import GestionaleError, as_int, check_fields

CODICE_RE = re.compile(r"^(?P<mastro>\d{3})\.(?P<conto>\d{5}|AUTO)$")
MAX_PAGE = 1000
DOC_NUMBERS = ("quantita", "prezzo", "sconto")
DOC_TOTALS = ("totale_imponibile", "totale_imposta", "totale_documento")
# resource -> (table, searchable fields)
SEARCHABLE = {
    "clienti": ("clienti", schema.CLIENTI),
    "indirizzi-spedizione": ("indirizzi", schema.INDIRIZZI),
    "articoli": ("articoli", schema.ARTICOLI),
    "ordini-clienti": ("documenti", {**schema.DOC_HEADER, **dict.fromkeys(DOC_TOTALS)}),
}


class StandIn:
    """Everything a test needs in-process: the ASGI app, its store, faults and gate."""

    def __init__(self, data_dir, auth: AuthSettings | None = None, catalogue_rows=None):
        self.store = Store(data_dir)
        self.faults = Faults()
        self.auth = auth or AuthSettings()
        self.catalogue_rows = catalogue_rows
        if self.store.is_empty():
            self.store.reset(catalogue.seed_rows(catalogue_rows))
        self.api = build_api(self)
        self.gate = Gate(self.api, self.auth, self.faults)

    async def __call__(self, scope, receive, send):
        await self.gate(scope, receive, send)

    def reset(self) -> None:
        """Empty archives (articles re-seeded), no faults, no lockouts, no request still running."""
        self.faults.clear()
        deadline = time.monotonic() + 10
        while any(self.gate.in_flight.values()) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.store.reset(catalogue.seed_rows(self.catalogue_rows))
        self.gate.unlock()
        self.gate.stats.clear()

    def count_documents(self, **equals: Any) -> int:
        return self.store.count("documenti", [(k, "=", v, False) for k, v in equals.items()])

    def count_customers(self, **equals: Any) -> int:
        return self.store.count("clienti", [(k, "=", v, False) for k, v in equals.items()])

    def count_addresses(self, **equals: Any) -> int:
        return self.store.count("indirizzi", [(k, "=", v, False) for k, v in equals.items()])

    def documents(self, **equals: Any) -> list[dict]:
        found = self.store.search("documenti", [(k, "=", v, False) for k, v in equals.items()], -1, 0)
        return [present_document(d) for d in found]


def created(location: str) -> Response:
    return Response(status_code=201, headers={"Location": location})


def present_document(record: dict) -> dict:
    out = dict(record)
    for name in DOC_NUMBERS:
        if name in out:
            out[name] = [[i, float(v)] for i, v in out[name]]
    for name in DOC_TOTALS:
        out[name] = float(out[name])
    return out


async def read_json(request: Request) -> dict:
    try:
        body = json.loads(await request.body(), parse_float=Decimal)
    except ValueError:
        raise GestionaleError("JSON non valido") from None
    if not isinstance(body, dict):
        raise GestionaleError("Atteso un oggetto JSON")
    return body


async def after_commit(request: Request, standin: StandIn, response: Response) -> Response:
    """Fault injection for unknown outcomes: the record is stored, the answer is lost or late."""
    if standin.faults.take("drop_after_commit_next"):
        await drop_connection(request.scope, _discard)
    elif standin.faults.take("hang_after_commit_next"):
        await asyncio.sleep(standin.faults.hang_s)
    return response


async def _discard(_message) -> None:
    """The answer of a dropped connection: FastAPI still returns a response, sent nowhere."""


async def dropped_before_commit(request: Request, standin: StandIn) -> bool:
    if standin.faults.take("drop_before_commit_next"):
        await drop_connection(request.scope, _discard)
        return True
    return False


def search(standin: StandIn, resource: str, body: dict, query_next: str | None) -> dict:
    table, fields = SEARCHABLE[resource]
    filters = []
    for item in body.get("filtri") or []:
        campo, condizione = item.get("campo"), str(item.get("condizione", "=")).lower()
        if campo not in fields:
            raise GestionaleError(f"Nome campo '{campo}' non valido")
        if condizione not in CONDITIONS and condizione not in TEXT_CONDITIONS:
            raise GestionaleError(f"Condizione '{condizione}' non valida")
        filters.append((campo, condizione, item.get("valore"), bool(item.get("case_insensitive"))))
    limit = min(as_int("max", body.get("max", 100)), MAX_PAGE)
    offset = as_int("next", body.get("next") or query_next or 0)
    found = standin.store.search(table, filters, limit + 1, offset)
    page = found[:limit]
    if table == "documenti":
        page = [present_document(d) for d in page]
    if body.get("fields"):
        wanted = set(body["fields"])
        page = [{k: v for k, v in record.items() if k in wanted} for record in page]
    return {"dati": page, "next": str(offset + limit) if len(found) > limit else None}


def build_api(standin: StandIn) -> FastAPI:
    api = FastAPI(title="Gestionale WebAPI stand-in", openapi_url=None, docs_url=None, redoc_url=None)
    store = standin.store

    @api.exception_handler(GestionaleError)
    async def _gestionale_error(_request: Request, error: GestionaleError) -> JSONResponse:
        return JSONResponse(error.body(), status_code=error.status)

    def not_found(what: str) -> GestionaleError:
        return GestionaleError(f"{what} inesistente", status=404, code=6002, message="risorsa non trovata")

    @api.post("/webapi/{group}/{resource}/ricerca")
    async def ricerca(group: str, resource: str, request: Request):
        if resource not in SEARCHABLE:
            raise not_found(f"Risorsa {resource}")
        return search(standin, resource, await read_json(request), request.query_params.get("next"))

    def read(table: str, where: str, key: object, what: str) -> dict:
        record = store.get(table, where, (key,))
        if record is None:
            raise not_found(what)
        return record

    @api.get("/webapi/risorse/clienti/{codice}")
    async def get_cliente(codice: str):
        return read("clienti", "codice = ?", codice, f"Cliente {codice}")

    @api.post("/webapi/risorse/clienti")
    async def create_cliente(request: Request):
        record = await read_json(request)
        check_fields(record, schema.CLIENTI, schema.CLIENTI_MANDATORY)
        match = CODICE_RE.match(str(record["codice"]))
        if not match:
            raise GestionaleError(f"Codice conto '{record['codice']}' non valido (mastro.conto)")
        if match["conto"] == "AUTO":
            conto = store.last_conto(match["mastro"]) + 1
            if conto > schema.MAX_CONTO:
                raise GestionaleError(f"Mastro {match['mastro']} pieno: nessun conto libero")
            record["codice"] = f"{match['mastro']}.{conto:05d}"
        if await dropped_before_commit(request, standin):
            return Response(status_code=503)
        try:
            store.insert_customer(record)
        except AlreadyExists:
            raise GestionaleError(f"Cliente {record['codice']} gia' esistente") from None
        return await after_commit(request, standin, created(f"/webapi/risorse/clienti/{record['codice']}"))

    @api.get("/webapi/risorse/indirizzi-spedizione/{address_id}")
    async def get_indirizzo(address_id: int):
        return read("indirizzi", "id = ?", address_id, f"Indirizzo {address_id}")

    @api.post("/webapi/risorse/indirizzi-spedizione")
    async def create_indirizzo(request: Request):
        record = await read_json(request)
        record.pop("id", None)
        check_fields(record, schema.INDIRIZZI, schema.INDIRIZZI_MANDATORY)
        if store.get("clienti", "codice = ?", (record["cod_conto"],)) is None:
            raise GestionaleError(f"Conto {record['cod_conto']} inesistente")
        if await dropped_before_commit(request, standin):
            return Response(status_code=503)
        new_id = store.insert_address(record)
        return await after_commit(request, standin, created(f"/webapi/risorse/indirizzi-spedizione/{new_id}"))

    @api.get("/webapi/risorse/articoli/{codice}")
    async def get_articolo(codice: str):
        return read("articoli", "codice = ?", codice, f"Articolo {codice}")

    @api.get("/webapi/documenti/ordini-clienti/{key}")
    async def get_ordine(key: str):
        parts = key.split("+")
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
            raise not_found(f"Documento {key}")
        record = store.get(
            "documenti", "sigla = ? AND serie = ? AND numero = ?", (parts[0], int(parts[1]), int(parts[2]))
        )
        if record is None:
            raise not_found(f"Documento {key}")
        return present_document(record)

    @api.post("/webapi/documenti/ordini-clienti")
    async def create_ordine(request: Request):
        anno = int(request.scope["state"]["coordinates"]["anno"])
        header, rows = documents.validate(await read_json(request), store, anno)
        record = {
            **header,
            **documents.to_arrays(rows),
            **documents.totals(header["sigla"], list(rows.values())),
        }
        if await dropped_before_commit(request, standin):
            return Response(status_code=503)
        try:
            numero = store.insert_document(record)
        except AlreadyExists:
            raise GestionaleError(
                f"Documento {header['sigla']}{header['serie']}/{header['numero']} gia' esistente"
            ) from None
        key = f"{header['sigla']}+{header['serie']}+{numero}"
        return await after_commit(request, standin, created(f"/webapi/documenti/ordini-clienti/{key}"))

    # Sandbox control and inspection: not part of the WebAPI, no authentication.
    @api.get("/_sandbox/health")
    async def health():
        return {"ok": True}

    @api.get("/_sandbox/faults")
    async def get_faults():
        return standin.faults.snapshot()

    @api.post("/_sandbox/faults")
    async def set_faults(request: Request):
        try:
            standin.faults.update(**json.loads(await request.body()))
        except (ValueError, TypeError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return standin.faults.snapshot()

    @api.post("/_sandbox/reset")
    async def reset():
        await run_in_threadpool(standin.reset)  # it waits for running requests to finish
        return {"ok": True}

    @api.post("/_sandbox/unlock")
    async def unlock(user: str | None = None):
        standin.gate.unlock(user)
        return {"ok": True}

    @api.get("/_sandbox/counts")
    async def counts(rif_nr_attuale: str | None = None):
        filters = [("rif_nr_attuale", "=", rif_nr_attuale, False)] if rif_nr_attuale else []
        return {
            "documenti": store.count("documenti", filters),
            "clienti": store.count("clienti"),
            "indirizzi": store.count("indirizzi"),
            "stats": dict(standin.gate.stats),
        }

    return api
