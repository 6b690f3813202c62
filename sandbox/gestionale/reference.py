"""The vendored Mexal WebAPI description, loaded at start: what the stand-in routes and accepts.

``help.json`` gives the endpoints (``regexp`` + ``method``, relative to ``/webapi/risorse``) and
which of ``max``/``next``/``fields`` each takes; ``info/*.json`` give every field of a resource,
its type, whether it is a key and its array size.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "reference" / "mexal-webapi" / "sorgenti"

# The resources this stand-in serves (its info file name is the path with "/" -> "__").
RESOURCES = (
    "clienti",
    "indirizzi-spedizione",
    "articoli",
    "documenti/ordini-clienti",
    "documenti/movimenti-magazzino",
    "dati-generali/valute",
    "dati-generali/esenzioni-iva",
    "dati-generali/magazzini",
    "dati-generali/causali-movimenti",
    "dati-generali/centri-costo-ricavo",
    "dati-generali/serie-documenti",
    "dati-generali/pagamenti",
)
DOCUMENTS = ("documenti/ordini-clienti", "documenti/movimenti-magazzino")
DATE_TIME = "Data e ora"


@dataclass(frozen=True)
class Field:
    name: str
    tipo: str  # Alfanumerico | Numerico | Numerico con virgola | Data e ora
    key: bool = False
    array: int = 0  # dimensione_array: 0 for a scalar

    def default(self):
        if self.array:
            return []
        return {"Numerico": 0, "Numerico con virgola": 0.0}.get(self.tipo, "")


@dataclass(frozen=True)
class Fields:
    """The fields of one info file, in their order; a name declared twice keeps its first shape
    and takes the date-time type if either declaration has it (as the reference README says)."""

    by_name: dict[str, Field] = field(default_factory=dict)

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def __getitem__(self, name: str) -> Field:
        return self.by_name[name]

    def __iter__(self):
        return iter(self.by_name.values())

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.name for f in self if f.key)


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    resource: str  # e.g. "documenti/ordini-clienti" or "documenti/ordini-clienti/righe"
    kind: str  # list | search | read | create | update | delete | other
    params: frozenset[str]  # query parameters help.json allows (max, next, fields)
    encoded_groups: frozenset[str]  # key parts that may come hex/base32-encoded (?encoding=)


def _load_fields(path: Path) -> Fields:
    fields: dict[str, Field] = {}
    for item in json.loads(path.read_text(encoding="utf-8"))["campi"]:
        name, tipo = item["nome"], "Data e ora" if item["tipo"].startswith(DATE_TIME) else item["tipo"]
        if name in fields:
            if tipo == DATE_TIME:
                fields[name] = Field(name, tipo, fields[name].key, fields[name].array)
            continue
        fields[name] = Field(name, tipo, bool(item.get("chiave")), int(item.get("dimensione_array") or 0))
    return Fields(fields)


@cache
def info(resource: str) -> Fields:
    """The info field list of a resource, e.g. info("documenti/ordini-clienti/righe")."""
    return _load_fields(REFERENCE_DIR / "info" / (resource.replace("/", "__") + ".json"))


@cache
def row_fields(document: str) -> Fields:
    """A document's row fields: those of its ``/righe`` view that its header does not declare."""
    header = info(document)
    return Fields({f.name: f for f in info(document + "/righe") if f.name not in header})


def _kind(method: str, regexp: str, resource: str) -> str:
    tail = regexp.removeprefix("^/" + resource)
    if tail == "/ricerca$":
        return "search"
    if tail == "/{0,1}$":
        return {"GET": "list", "POST": "create"}.get(method, "other")
    if tail.startswith("/(?<") and "/" not in tail[1:]:  # a keyed record, not a sub-resource of it
        return {"GET": "read", "PUT": "update", "DELETE": "delete"}.get(method, "other")
    return "other"


@cache
def routes() -> tuple[Route, ...]:
    """help.json's entries for the served resources (and their /righe views), as Python regexps."""
    help_doc = json.loads((REFERENCE_DIR / "help.json").read_text(encoding="utf-8"))
    served = sorted((*RESOURCES, *(d + "/righe" for d in DOCUMENTS)), key=len, reverse=True)
    found = []
    for group in help_doc["risorse"]:
        for entries in group.values():
            for entry in entries:
                regexp = entry["regexp"]
                resource = next((r for r in served if re.match(rf"\^/{re.escape(r)}(/|\$)", regexp)), None)
                if resource is None:
                    continue
                kind = _kind(entry["method"], regexp, resource)
                if resource.endswith("/righe") and kind not in ("list", "search"):
                    continue
                params = frozenset(p for p in ("max", "next", "fields") if entry.get(p))
                pattern = re.compile(regexp.replace("(?<", "(?P<"))
                # help.json lists the key parts in the order of the regexp's named groups
                groups = sorted(pattern.groupindex, key=pattern.groupindex.get)
                keys = entry.get("chiavi", [])
                encoded = frozenset(
                    g for g, k in zip(groups, keys, strict=False) if k.get("encodable") and k["tipo"] == "string"
                )
                found.append(Route(entry["method"], pattern, resource, kind, params, encoded))
    return tuple(found)
