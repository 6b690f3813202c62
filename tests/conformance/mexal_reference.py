"""The published Mexal WebAPI description (reference/mexal-webapi) as a request validator.

Written from the reference only: the endpoints, methods and query parameters of
``sorgenti/help.json`` and the field names of ``sorgenti/info/*.json``. It knows nothing of
the product's client or of the stand-in, so a request they both got wrong is still caught.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import parse_qs

REFERENCE = Path(__file__).resolve().parents[2] / "reference" / "mexal-webapi" / "sorgenti"
CONDITIONS = {"=", "<>", ">", "<", ">=", "<=", "contiene", "inizia_per"}
FILTER_KEYS = {"campo", "condizione", "valore", "case_insensitive", "indice1", "indice2"}
MAX_PAGE = 1000
# Query parameters the manual documents beyond help.json's max/next/fields (AGENTE.md, README.md).
SPECIAL_PARAMS = {"encoding": {"GET", "PUT", "DELETE"}, "solo_testata": {"PUT"}}


@dataclass(frozen=True)
class Endpoint:
    method: str
    pattern: re.Pattern[str]
    resource: str  # "/clienti", "/documenti/ordini-clienti/righe"
    max: bool
    next: bool
    fields: bool
    filter: bool
    coordinate: bool


class MexalReference:
    @cached_property
    def endpoints(self) -> list[Endpoint]:
        help_ = json.loads((REFERENCE / "help.json").read_text())
        found = []
        for group in help_["risorse"]:
            for entries in group.values():
                for entry in entries:
                    regexp = entry["regexp"].replace("(?<", "(?P<")
                    found.append(
                        Endpoint(
                            entry["method"],
                            re.compile(regexp),
                            _resource_of(entry["regexp"]),
                            entry["max"],
                            entry["next"],
                            entry["fields"],
                            entry["filter"],
                            entry["coordinate"],
                        )
                    )
        return found

    def fields(self, resource: str) -> tuple[set[str], set[str], set[str]] | None:
        """(header fields, array fields, row fields) of a resource; None when no field list is vendored."""
        name = resource.strip("/").removesuffix("/righe").replace("/", "__")
        info = REFERENCE / "info" / f"{name}.json"
        if not info.exists():
            return None
        campi = json.loads(info.read_text())["campi"]
        header = {c["nome"] for c in campi}
        arrays = {c["nome"] for c in campi if c.get("dimensione_array")}
        rows_file = REFERENCE / "info" / f"{name}__righe.json"
        rows = {c["nome"] for c in json.loads(rows_file.read_text())["campi"]} if rows_file.exists() else set()
        if resource.endswith("/righe"):
            return rows, set(), set()
        return header, arrays, rows - header  # the row view repeats the header's key fields

    def endpoint(self, method: str, path: str) -> Endpoint | None:
        for endpoint in self.endpoints:
            if endpoint.method == method and endpoint.pattern.match(path):
                return endpoint
        return None

    def problems(self, request: dict) -> list[str]:
        """Everything in one recorded request that the published description does not allow."""
        method, raw_path = request["method"], request["path"]
        where = f"{method} {raw_path}"
        if not raw_path.startswith("/webapi/risorse/"):
            return [f"{where}: resources live under /webapi/risorse/"]
        path = raw_path.removeprefix("/webapi/risorse")
        endpoint = self.endpoint(method, path)
        if endpoint is None:
            return [f"{where}: no such endpoint and method in help.json"]
        found = []
        query = parse_qs(request.get("query") or "", keep_blank_values=True)
        fields = self.fields(endpoint.resource)
        for name, values in query.items():
            allowed = {"max": endpoint.max, "next": endpoint.next, "fields": endpoint.fields}.get(name)
            if allowed is None:
                allowed = method in SPECIAL_PARAMS.get(name, ())
            if not allowed:
                found.append(f"{where}: query parameter {name!r} is not accepted here")
            elif name == "max" and not (values[0].isdigit() and 1 <= int(values[0]) <= MAX_PAGE):
                found.append(f"{where}: max={values[0]!r} is not 1..{MAX_PAGE}")
            elif name == "fields" and fields is not None:
                known = fields[0] | fields[2]
                found += [f"{where}: fields names unknown field {f!r}" for f in values[0].split(",") if f not in known]
            elif name == "encoding" and values != ["hex"]:
                found.append(f"{where}: encoding must be hex")
        found += self._header_problems(where, endpoint, request.get("headers") or {}, request.get("body"))
        body = request.get("body") or ""
        if method in ("GET", "DELETE"):
            if body:
                found.append(f"{where}: a {method} carries no body")
            return found
        try:
            data = json.loads(body) if body else None
        except ValueError:
            return [*found, f"{where}: the body is not JSON"]
        if endpoint.filter:
            found += self._search_problems(where, data, fields)
        elif fields is not None:
            found += self._record_problems(where, data, fields)
        return found

    @staticmethod
    def _header_problems(where: str, endpoint: Endpoint, headers: dict, body: str | None) -> list[str]:
        found = []
        if not str(headers.get("authorization", "")).startswith("Passepartout "):
            found.append(f"{where}: Authorization must use the Passepartout scheme")
        coordinates = headers.get("coordinate-gestionale", "")
        if endpoint.coordinate and not re.search(r"\bAzienda=\S+", coordinates):
            found.append(f"{where}: Coordinate-Gestionale with Azienda= is required")
        if body and "application/json" not in headers.get("content-type", ""):
            found.append(f"{where}: a JSON body needs Content-Type application/json")
        return found

    @staticmethod
    def _search_problems(where: str, data: object, fields: tuple[set[str], set[str], set[str]] | None) -> list[str]:
        if not isinstance(data, dict) or set(data) != {"filtri"}:
            keys = sorted(data) if isinstance(data, dict) else type(data).__name__
            return [f"{where}: a ricerca body holds only 'filtri' (got {keys})"]
        filtri = data["filtri"]
        if not isinstance(filtri, list) or not filtri:
            return [f"{where}: a ricerca needs at least one filter"]
        found = []
        known = (fields[0] | fields[2]) if fields else None
        for item in filtri:
            if not isinstance(item, dict) or not {"campo", "condizione"} <= set(item) or set(item) - FILTER_KEYS:
                found.append(f"{where}: malformed filter {item!r}")
                continue
            if known is not None and item["campo"] not in known:
                found.append(f"{where}: filter on unknown field {item['campo']!r}")
            if item["condizione"] not in CONDITIONS:
                found.append(f"{where}: unknown condition {item['condizione']!r}")
        return found

    @staticmethod
    def _record_problems(where: str, data: object, fields: tuple[set[str], set[str], set[str]]) -> list[str]:
        if not isinstance(data, dict):
            return [f"{where}: the body must be a JSON object"]
        header, arrays, rows = fields
        found = []
        for name, value in data.items():
            if name in rows:
                if not _pairs(value):
                    found.append(f"{where}: row field {name!r} must be [[row, value], ...]")
            elif name in arrays:
                if not _pairs(value):
                    found.append(f"{where}: array field {name!r} must be [[index, value], ...]")
            elif name not in header:
                found.append(f"{where}: unknown field {name!r}")
            elif isinstance(value, list | dict):
                found.append(f"{where}: field {name!r} is a scalar")
        return found


def _pairs(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(p, list) and len(p) == 2 and isinstance(p[0], int) and not isinstance(p[0], bool) for p in value
    )


def _resource_of(regexp: str) -> str:
    """ "^/documenti/ordini-clienti/(?<sigla>…)…$" -> "/documenti/ordini-clienti"."""
    text = regexp.lstrip("^")
    parts = []
    for part in text.split("/")[1:]:
        if not re.fullmatch(r"[a-z0-9-]+", part):
            break
        parts.append(part)
    return "/" + "/".join(p for p in parts if p != "ricerca")
