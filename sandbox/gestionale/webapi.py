"""The WebAPI under /webapi/risorse/: routed by help.json, records checked against the info lists."""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from sandbox.gestionale import catalogue, documents
from sandbox.gestionale.documents import MOVEMENTS, ORDERS
from sandbox.gestionale.errors import GestionaleError, NotFound, NotImplementedByStandIn
from sandbox.gestionale.fields import check_record, parse_fields_param, select, with_defaults
from sandbox.gestionale.query import Filter, page_size, parse_search_body
from sandbox.gestionale.reference import Fields, Route, info, routes, row_fields
from sandbox.gestionale.store import AlreadyExists

PREFIX = "/webapi/risorse"
CONTO_RE = re.compile(r"^(?P<mastro>\d{3})\.(?P<conto>\d{5})$")
AUTO_RE = re.compile(r"^(?P<mastro>\d{3})\.AUTO$")
MAX_CONTO = 99999


class Answer:
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


class Request:
    def __init__(self, scope: dict, body: bytes, route: Route, match: re.Match):
        self.scope, self.raw, self.route, self.match = scope, body, route, match
        self.query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        coordinates = scope.get("state", {}).get("coordinates", {})
        self.anno = int(coordinates.get("anno", dt.date.today().year))

    def json(self) -> Any:
        try:
            return json.loads(self.raw or b"null", parse_float=Decimal)
        except ValueError:
            raise GestionaleError("JSON non valido") from None

    def object(self) -> dict:
        body = self.json()
        if not isinstance(body, dict):
            raise GestionaleError("Atteso un oggetto JSON")
        return body

    def key(self, group: str) -> str | None:
        value = self.match.group(group)
        if value is None or group not in self.route.encoded_groups:
            return value
        encoding = self.query.get("encoding")
        try:
            if encoding == "hex":
                return bytes.fromhex(value).decode("latin-1")
            if encoding == "base32":
                return base64.b32decode(value.upper() + "=" * (-len(value) % 8)).decode("latin-1")
        except (ValueError, binascii.Error):
            raise NotFound from None
        return value


def find_route(method: str, path: str) -> tuple[Route, re.Match]:
    """help.json's entry for the method and path; NotFound (404, no body) when it lists none."""
    if not path.startswith(PREFIX + "/"):
        raise NotFound
    tail = path[len(PREFIX) :]
    for route in routes():
        if route.method == method:
            match = route.pattern.match(tail)
            if match:
                return route, match
    raise NotFound


def allowed_params(route: Route) -> set[str]:
    allowed = set(route.params)
    if route.encoded_groups:
        allowed.add("encoding")
    if route.kind == "update" and route.resource in (ORDERS, MOVEMENTS):
        allowed.add("solo_testata")  # the manual's special parameter of document revision
    return allowed


def key_location(resource: str, parts: list[str]) -> str:
    """Location of a new record: parts joined by "+", hex-encoded when one holds "/" or "\\"."""
    if any("/" in p or "\\" in p for p in parts):
        return f"/webapi/risorse/{resource}/" + "+".join(p.encode("latin-1").hex() for p in parts) + "?encoding=hex"
    return f"/webapi/risorse/{resource}/" + "+".join(parts)


class WebApi:
    """Handlers of the served resources; ``standin`` gives the store, settings and faults."""

    def __init__(self, standin):
        self.standin = standin
        self.store = standin.store

    async def handle(self, request: Request) -> Answer:
        route = request.route
        for name in request.query:
            if name not in allowed_params(route):
                raise GestionaleError(f"Parametro '{name}' non valido")
        if request.query.get("encoding") not in (None, "hex", "base32"):
            raise GestionaleError(f"Valore di encoding non valido: {request.query['encoding']}")
        if route.kind in ("list", "search"):
            return self.page(request)
        if route.kind == "read":
            return self.read(request)
        if route.kind == "create":
            return await self.create(request)
        if route.kind == "update":
            return await self.standin.after_revision(request, self.update(request))
        # DELETE and the articoli sub-resources: listed by help.json, not implemented here
        raise NotImplementedByStandIn

    # ---- listing and ricerca
    def page(self, request: Request) -> Answer:
        resource = request.route.resource
        fields = info(resource)
        names = parse_fields_param(request.query.get("fields"), fields)
        size = page_size(request.query.get("max"))
        route_id = f"{request.route.method} {request.route.pattern.pattern}"
        filters: list[Filter] = []
        if request.route.kind == "search":
            filters = parse_search_body(request.json(), fields)
        after = None
        if "next" in request.query:
            cursor = self.standin.tokens.take(request.query["next"], route_id)
            filters, after = cursor.filters, cursor.position
        found, last = [], None
        for position, record in self.records(resource, filters, after):
            if all(f.matches(record) for f in filters):
                if len(found) == size:
                    break
                found.append(select(record, names))
                last = position
        else:
            last = None
        answer: dict[str, Any] = {"dati": found, "data_ric_elab": dt.datetime.now().strftime("%Y%m%d %H%M%S")}
        if last is not None:
            answer["next"] = self.standin.tokens.issue(route_id, filters, last)
        return Answer(200, answer)

    def records(self, resource: str, filters: list[Filter], after) -> Iterator[tuple[Any, dict]]:
        """(position, record as read) in a stable order, after ``after``."""
        if resource.endswith("/righe"):
            document = resource.removesuffix("/righe")
            where, params = prefilter(filters, info(document))
            start = after[0] - 1 if after else 0
            for rowid, record in self.store.scan(documents.TABLE[document], where, params, start):
                for index, row in enumerate(documents.row_records(record, document), start=1):
                    if after is None or (rowid, index) > after:
                        yield (rowid, index), row
            return
        table, present = self.source(resource)
        where, params = prefilter(filters, info(resource))
        if table == "tabelle":
            where, params = "risorsa = ?", (resource,)
        for rowid, record in self.store.scan(table, where, params, after or 0):
            yield rowid, present(record)

    def source(self, resource: str) -> tuple[str, Callable[[dict], dict]]:
        fields = info(resource)
        if resource in (ORDERS, MOVEMENTS):
            return documents.TABLE[resource], lambda r: documents.header_form(r, resource)
        if resource == "articoli":
            return "articoli", lambda r: with_defaults(catalogue.read_form(r), fields)
        table = {"clienti": "clienti", "indirizzi-spedizione": "indirizzi"}.get(resource, "tabelle")
        return table, lambda r: with_defaults(r, fields)

    # ---- keyed reads
    def read(self, request: Request) -> Answer:
        resource = request.route.resource
        record = self.find(request)
        if record is None:
            raise NotFound
        if resource in (ORDERS, MOVEMENTS):
            shown = documents.read_form(record, resource)
        else:
            shown = self.source(resource)[1](record)
        names = parse_fields_param(request.query.get("fields"), _all_fields(resource))
        return Answer(200, select(shown, names))

    def find(self, request: Request) -> dict | None:
        resource = request.route.resource
        if resource == "clienti":
            return self.store.get("clienti", "codice = ?", (request.key("codice"),))
        if resource == "indirizzi-spedizione":
            return self.store.get("indirizzi", "id = ?", (request.key("id"),))
        if resource == "articoli":
            return self.store.get("articoli", "codice = ?", (request.key("codice"),))
        sigla, serie, numero = request.key("sigla"), int(request.key("serie")), int(request.key("numero"))
        if resource == ORDERS:
            return self.store.get("documenti", "sigla = ? AND serie = ? AND numero = ?", (sigla, serie, numero))
        conto = request.key("codconto")
        where, params = "sigla = ? AND serie = ? AND numero = ?", (sigla, serie, numero)
        if conto is not None:  # the manual: without the 4th part, found by sigla+serie+numero only
            where, params = where + " AND cod_conto = ?", (*params, conto)
        return self.store.get("movimenti", where, params)

    # ---- creates
    async def create(self, request: Request) -> Answer:
        resource = request.route.resource
        body = request.object()
        limits = self.standin.field_limits
        if resource == "clienti":
            commit = self.prepare_customer(check_record(body, info(resource), limits))
        elif resource == "indirizzi-spedizione":
            commit = self.prepare_address(check_record(body, info(resource), limits))
        elif resource == "articoli":
            commit = self.prepare_article(check_record(body, info(resource), limits))
        else:
            commit = self.prepare_document(resource, body, request.anno)
        return await self.standin.commit_create(request, commit)

    def prepare_customer(self, record: dict) -> Callable[[], str]:
        for name in ("codice", "ragione_sociale"):  # mandatory on create (manual)
            if not record.get(name):
                raise GestionaleError(f"Campo '{name}' obbligatorio")
        codice = record["codice"]
        auto = AUTO_RE.match(codice)
        if not CONTO_RE.match(codice) and not (auto and self.standin.customer_auto):
            # mastro.AUTO is not in the reference: refused unless the stand-in was started with it
            raise GestionaleError(f"Codice conto '{codice}' non valido (formato mastro.conto)")

        def commit() -> str:
            stored = dict(record, data_ult_mod=self.standin.stamp())
            if auto:
                with self.store.lock:
                    conto = self.store.last_conto(auto["mastro"]) + 1
                    if conto > MAX_CONTO:
                        raise GestionaleError(f"Mastro {auto['mastro']} pieno: nessun conto libero")
                    stored["codice"] = f"{auto['mastro']}.{conto:05d}"
                    self._insert_customer(stored)
            else:
                self._insert_customer(stored)
            return key_location("clienti", [stored["codice"]])

        return commit

    def _insert_customer(self, record: dict) -> None:
        try:
            self.store.insert_customer(record)
        except AlreadyExists:
            raise GestionaleError(f"Cliente {record['codice']} gia' esistente") from None

    def prepare_address(self, record: dict) -> Callable[[], str]:
        if "id" in record:
            raise GestionaleError("Il campo 'id' e' assegnato dal gestionale")
        conto = record.get("cod_conto")
        if not conto or self.store.get("clienti", "codice = ?", (conto,)) is None:
            raise GestionaleError(f"Conto {conto} inesistente")

        def commit() -> str:
            new_id = self.store.insert_address(dict(record, data_ult_mod=self.standin.stamp()), address_id)
            return key_location("indirizzi-spedizione", [new_id])

        return commit

    def prepare_article(self, record: dict) -> Callable[[], str]:
        for name in ("codice", "descrizione"):  # mandatory on create (manual)
            if not record.get(name):
                raise GestionaleError(f"Campo '{name}' obbligatorio")
        if record.get("alq_iva") and not self.standin.vat_code_known(record["alq_iva"]):
            raise GestionaleError(f"Aliquota IVA '{record['alq_iva']}' inesistente")

        def commit() -> str:
            try:
                self.store.insert_article(dict(record, data_ult_mod=self.standin.stamp()))
            except AlreadyExists:
                raise GestionaleError(f"Articolo {record['codice']} gia' esistente") from None
            return key_location("articoli", [record["codice"]])

        return commit

    def prepare_document(self, resource: str, body: dict, anno: int) -> Callable[[], str]:
        header, rows = documents.split(body, resource, self.standin.field_limits)
        required = ["sigla", "serie", "numero"]
        if resource == ORDERS:
            # the manual marks data_documento optional (the gestionale would date it today); the stand-in
            # requires it so that a document is never silently dated by the server
            required += ["cod_conto", "data_documento"]
        for name in required:
            if header.get(name) in (None, ""):
                raise GestionaleError(f"Campo '{name}' obbligatorio")
        for index, row in rows.items():
            if row.get("id_riga") not in (None, 0):
                raise GestionaleError(f"Riga {index}: in inserimento id_riga deve essere 0")
        record = documents.assemble(self.standin, resource, header, rows, anno, None)
        if resource == MOVEMENTS:
            documents.check_origin(self.standin, header)
        evasions = documents.evaded_quantities(self.standin, header, documents.stored_rows(record, resource))
        table = documents.TABLE[resource]

        def commit() -> str:
            stored = dict(record, data_ult_mod=self.standin.stamp())
            try:
                with self.store.lock:
                    numero = self.store.insert_document(table, stored)
                    self.standin.record_evasions(evasions)
            except AlreadyExists:
                raise GestionaleError(
                    f"Documento {header['sigla']}{header['serie']}/{header['numero']} gia' esistente"
                ) from None
            parts = [header["sigla"], str(header["serie"]), str(numero)]
            if resource == MOVEMENTS and header.get("cod_conto"):
                parts.append(header["cod_conto"])
            return key_location(resource, parts)

        return commit

    # ---- revisions (PUT answers 204)
    def update(self, request: Request) -> Answer:
        resource = request.route.resource
        existing = self.find(request)
        if existing is None:
            raise NotFound
        body = request.object()
        sent = body.get("data_ult_mod")
        # The manual: send data_ult_mod as read; with the concurrent-modification check active a changed
        # record is refused. The stand-in always checks and requires it (the safe reading).
        if not sent:
            raise GestionaleError("Campo 'data_ult_mod' obbligatorio in revisione")
        if sent != existing.get("data_ult_mod"):
            raise GestionaleError("Record modificato da un altro utente: rileggere il record")
        body = {k: v for k, v in body.items() if k != "data_ult_mod"}
        limits = self.standin.field_limits
        if resource in (ORDERS, MOVEMENTS):
            header, rows = documents.split(body, resource, limits)
            for name in info(resource).keys:
                if name in header and header[name] != existing.get(name):
                    raise GestionaleError(f"Il campo chiave '{name}' non si modifica")
            solo_testata = request.query.get("solo_testata", "false")
            if solo_testata not in ("true", "false"):
                raise GestionaleError(f"Valore di solo_testata non valido: {solo_testata}")
            if resource == MOVEMENTS:
                documents.check_evasion_kept(existing, header, solo_testata == "true")
            merged_header, merged_rows = documents.merge_for_update(
                existing, resource, header, rows, solo_testata == "true"
            )
            if resource == ORDERS:
                documents.check_annulled_not_evaded(self.standin, existing, merged_rows)
            updated = documents.assemble(self.standin, resource, merged_header, merged_rows, request.anno, existing)
            table, where, params = self.document_where(resource, existing)
        else:
            record = check_record(body, info(resource), limits)
            key = info(resource).keys[0]
            if key in record and record[key] != existing[key]:
                raise GestionaleError(f"Il campo chiave '{key}' non si modifica")
            updated = {**existing, **record}
            conto = updated.get("cod_conto")
            if resource == "indirizzi-spedizione" and self.store.get("clienti", "codice = ?", (conto,)) is None:
                raise GestionaleError(f"Conto {updated['cod_conto']} inesistente")
            table = {"clienti": "clienti", "indirizzi-spedizione": "indirizzi", "articoli": "articoli"}[resource]
            where, params = f"{'codice' if table != 'indirizzi' else 'id'} = ?", (existing[key],)
        self.store.update(table, where, params, dict(updated, data_ult_mod=self.standin.stamp(sent)))
        return Answer(204)

    @staticmethod
    def document_where(resource: str, record: dict) -> tuple[str, str, tuple]:
        where, params = "sigla = ? AND serie = ? AND numero = ?", (record["sigla"], record["serie"], record["numero"])
        if resource == MOVEMENTS:
            where, params = where + " AND cod_conto = ?", (*params, record.get("cod_conto", ""))
        return documents.TABLE[resource], where, params


def _all_fields(resource: str):
    """Fields a keyed read may select: the header's plus, for a document, its row fields."""
    if resource in (ORDERS, MOVEMENTS):
        return Fields({**info(resource).by_name, **row_fields(resource).by_name})
    return info(resource)


def address_id(seq: int) -> str:
    """Address ids are alphanumeric in the info list and assigned by the gestionale; the stand-in
    gives "S" + 7 digits so that a client treating them as integers fails here, not in production."""
    return f"S{seq:07d}"


def prefilter(filters: list[Filter], stored: Fields) -> tuple[str, tuple]:
    """An SQL narrowing by exact, case-sensitive, non-empty text filters on scalar fields stored as
    read (not alq_iva, formatted on read); the filters are still applied in full afterwards."""
    clauses, params = [], []
    for item in filters:
        if item.campo not in stored or stored[item.campo].array or item.campo == "alq_iva":
            continue
        exact = item.condizione == "=" and not item.numeric and not item.case_insensitive
        if exact and item.indice1 is None and all(v != "" for v in item.valori):
            clauses.append(f"json_extract(data, '$.{item.campo}') IN ({', '.join('?' * len(item.valori))})")
            params.extend(item.valori)
    return " AND ".join(clauses) or "1", tuple(params)


async def wait_disconnect(receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        await asyncio.sleep(0)
