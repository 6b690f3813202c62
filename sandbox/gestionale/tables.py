"""The dati-generali tables the stand-in starts with, and how a test or a JSON file replaces them.

help.json lists only listing and ricerca for these tables (no keyed read, no insert), so they
are set from outside the WebAPI: ``StandIn(tables={...})``, ``--tables-json FILE`` or
``POST /_sandbox/tables``. A table given there replaces the seeded one whole, so a test can drop
a code (e.g. an exemption) and see a document that names it refused.
"""

from __future__ import annotations

import json
from pathlib import Path

from sandbox.gestionale.errors import GestionaleError
from sandbox.gestionale.fields import check_record
from sandbox.gestionale.reference import info

# table -> the field that identifies a row (the reference gives these tables no key: chosen by meaning)
TABLE_KEYS = {
    "dati-generali/valute": "id",
    "dati-generali/esenzioni-iva": "codice",
    "dati-generali/magazzini": "id",
    "dati-generali/causali-movimenti": "id",
    "dati-generali/centri-costo-ricavo": "id",
    "dati-generali/serie-documenti": "sigla_documento",
    "dati-generali/pagamenti": "id",
}

SEED: dict[str, list[dict]] = {
    "dati-generali/valute": [
        {"id": 1, "sigla": "EUR", "descrizione": "Euro", "cambio_euro": 1.0, "nr_dec_importi": 2, "simbolo": "€"},
        {"id": 2, "sigla": "GBP", "descrizione": "Sterlina inglese", "cambio_euro": 0.85, "nr_dec_importi": 2},
        {"id": 3, "sigla": "PLN", "descrizione": "Zloty polacco", "cambio_euro": 4.3, "nr_dec_importi": 2},
        {"id": 4, "sigla": "SEK", "descrizione": "Corona svedese", "cambio_euro": 11.2, "nr_dec_importi": 2},
    ],
    "dati-generali/esenzioni-iva": [
        {"codice": "E15", "descrizione": "Escluso art.15 (arrotondamenti)", "codice_natura": "N1"},
        {"codice": "N41", "descrizione": "Non imponibile art.41 DL 331/93", "codice_natura": "N3.2"},
        {"codice": "N74", "descrizione": "Reverse charge art.74", "codice_natura": "N6.2"},
    ],
    "dati-generali/magazzini": [
        {"id": 1, "descrizione": "Magazzino principale"},
        {"id": 2, "descrizione": "Magazzino Amazon"},
        {"id": 8, "descrizione": "Logistica Amazon DE/FR"},
        {"id": 9, "descrizione": "Logistica Amazon Italia"},
    ],
    "dati-generali/causali-movimenti": [
        {"id": 1, "descrizione": "Vendita"},
        {"id": 2, "descrizione": "Reso da cliente"},
    ],
    "dati-generali/centri-costo-ricavo": [
        {"id": 1, "descrizione": "Vendite Amazon"},
        {"id": 2, "descrizione": "Vendite sito"},
        {"id": 10, "descrizione": "Vendite Amazon Italia"},
        {"id": 20, "descrizione": "Vendite Amazon estero"},
    ],
    "dati-generali/serie-documenti": [
        {"sigla_documento": sigla, "serie_massima": 99, "descrizione": [[1, text]]}
        for sigla, text in (("OC", "Ordini"), ("OX", "Ordini privati"), ("BC", "Bolle"), ("FT", "Fatture"))
    ],
    "dati-generali/pagamenti": [
        {"id": 1, "descrizione": "Pagato su marketplace"},
        {"id": 2, "descrizione": "Bonifico bancario"},
    ],
}


def seed_tables(overrides: dict[str, list[dict]] | None = None) -> dict[str, list[dict]]:
    """The seeded tables with ``overrides`` replacing whole tables; every record checked against its info."""
    tables = {name: [dict(r) for r in rows] for name, rows in SEED.items()}
    for name, rows in (overrides or {}).items():
        if name not in TABLE_KEYS:
            raise ValueError(f"unknown dati-generali table {name!r}")
        tables[name] = [dict(r) for r in rows]
    for name, rows in tables.items():
        for record in rows:
            try:
                check_record(record, info(name), {})
            except GestionaleError as error:
                raise ValueError(f"{name}: {error.detail}") from None
            if TABLE_KEYS[name] not in record:
                raise ValueError(f"{name}: a record without {TABLE_KEYS[name]!r}")
    return tables


def load_tables_file(path: str | Path) -> dict[str, list[dict]]:
    """A JSON object ``{"dati-generali/valute": [...], ...}``."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("the tables file must hold a JSON object of table -> list of records")
    return data
