"""Order documents (documenti/ordini-clienti) and warehouse movements (documenti/movimenti-magazzino).

A document is its header (the scalar and header-array fields of the resource's info list) plus
rows: every row field (the ``/righe`` list's names the header does not declare) is an array
``[[row_index, value], ...]``. Stored rows are renumbered 1..n in body order and carry the
``id_riga`` the stand-in assigned (never 0, never reused within a document).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from sandbox.gestionale.errors import GestionaleError
from sandbox.gestionale.fields import check_value, invalid_name, pairs, with_defaults
from sandbox.gestionale.reference import Field, Fields, info, row_fields

ORDERS, MOVEMENTS = "documenti/ordini-clienti", "documenti/movimenti-magazzino"
TABLE = {ORDERS: "documenti", MOVEMENTS: "movimenti"}
ORDER_SIGLE = ("OC", "OX")  # help.json's key regexp for ordini-clienti
ROW_STATES = {ORDERS: ("E", "S", "B", "N"), MOVEMENTS: ("E", "S")}  # from the tipo_stato_riga descriptions
ROW_KINDS = ("R", "D")  # article and description rows; T and r exist but the stand-in does not implement them
# Movements take tp_riga on insert only (openapi x-mexal-solo-inserimento): it is not in their info list.
INSERT_ONLY = {MOVEMENTS: ("tp_riga",)}
DATE_FIELDS = ("data_documento", "rif_dt_attuale", "dt_spedizione", "data_ordine", "data_doc_orig")
TIME_FIELDS = ("ora_spedizione",)
# header field -> (dati-generali table, its key): a non-zero value must be a row of the table
TABLE_REFERENCES = {
    "id_valuta": ("dati-generali/valute", "id"),
    "id_magazzino": ("dati-generali/magazzini", "id"),
    "id_causale": ("dati-generali/causali-movimenti", "id"),
    "id_costo_ricavo": ("dati-generali/centri-costo-ricavo", "id"),
    "id_pagamento": ("dati-generali/pagamenti", "id"),
}
INTERNAL_LAST_ID = "_ultimo_id_riga"


def split(body: dict, resource: str, limits: dict[str, int]) -> tuple[dict, dict[int, dict]]:
    """Header fields, and rows by index from the parallel arrays; every name checked against the info lists."""
    header_fields, rows_fields = info(resource), row_fields(resource)
    header: dict[str, Any] = {}
    rows: dict[int, dict] = {}
    for name, value in body.items():
        if name in header_fields:
            item = header_fields[name]
            if item.array:
                header[name] = [[i, check_value(item, v, limits)] for i, v in pairs(name, value, item.array)]
            else:
                header[name] = check_value(item, value, limits)
        elif name in rows_fields or name in INSERT_ONLY.get(resource, ()):
            item = rows_fields[name] if name in rows_fields else Field(name, "Alfanumerico")
            for index, element in pairs(name, value):
                if item.array:
                    element = [
                        [i, check_value(item, v, limits, f"riga {index}: ")]
                        for i, v in pairs(name, element, item.array)
                    ]
                else:
                    element = check_value(item, element, limits, f"riga {index}: ")
                rows.setdefault(index, {})[name] = element
        else:
            raise invalid_name(name)
    return header, rows


def check_date(name: str, value: str) -> dt.date | None:
    if value == "":
        return None
    try:
        if not re.fullmatch(r"\d{8}", value):
            raise ValueError
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise GestionaleError(f"Data non valida per il campo '{name}': {value} (formato AAAAMMGG)") from None


def validate_header(standin, resource: str, header: dict, anno: int) -> None:
    sigla = header.get("sigla", "")
    if resource == ORDERS and sigla not in ORDER_SIGLE:
        raise GestionaleError(f"Sigla documento '{sigla}' non gestita")
    if resource == MOVEMENTS and not re.fullmatch(r"[A-Z]{2}", sigla):
        raise GestionaleError(f"Sigla documento '{sigla}' non valida")
    if header["serie"] < 1:
        raise GestionaleError(f"Serie {header['serie']} non valida")
    serie = standin.table_row("dati-generali/serie-documenti", sigla)
    if serie is not None and header["serie"] > serie.get("serie_massima", 0):
        raise GestionaleError(f"Serie {header['serie']} oltre la serie massima del documento {sigla}")
    if header["numero"] < 0:
        raise GestionaleError(f"Numero documento {header['numero']} non valido")
    for name in DATE_FIELDS:
        if isinstance(header.get(name), str):
            check_date(name, header[name])
    for name in TIME_FIELDS:
        if isinstance(header.get(name), str):
            check_time(name, header[name])
    day = check_date("data_documento", header.get("data_documento", ""))
    if day is not None and day.year != anno:
        raise GestionaleError(f"Data documento {header['data_documento']} fuori dall'anno di lavoro {anno}")
    conto = header.get("cod_conto", "")
    if conto and standin.store.get("clienti", "codice = ?", (conto,)) is None:
        raise GestionaleError(f"Conto {conto} inesistente")
    if header.get("id_ind_sped"):
        address = standin.store.get("indirizzi", "id = ?", (header["id_ind_sped"],))
        if address is None or address["cod_conto"] != conto:
            raise GestionaleError(f"Indirizzo di spedizione {header['id_ind_sped']} inesistente per il conto {conto}")
    for name, (table, _key) in TABLE_REFERENCES.items():
        if header.get(name) and standin.table_row(table, header[name]) is None:
            raise GestionaleError(f"Valore {header[name]} del campo '{name}' inesistente in {table}")


def validate_row(standin, resource: str, index: int, row: dict) -> None:
    where = f"Riga {index}: "
    if "id_riga" not in row:
        raise GestionaleError(where + "campo 'id_riga' obbligatorio")
    kind = row.get("tp_riga")
    if kind is None:
        raise GestionaleError(where + "campo 'tp_riga' obbligatorio")
    if kind not in ROW_KINDS:
        raise GestionaleError(where + f"tipo riga '{kind}' non gestito dallo stand-in (solo R e D)")
    state = row.get("tipo_stato_riga")
    if state not in (None, "") and state not in ROW_STATES[resource]:
        raise GestionaleError(where + f"stato riga '{state}' non valido")
    # cat_annul_riga is the "Categoria annullamento stato riga annullata": a category on a row that is not
    # annullata (N) has no meaning in the reference, and is refused
    if row.get("cat_annul_riga") not in (None, "", 0) and state != "N":
        raise GestionaleError(where + "categoria di annullamento ammessa solo su una riga annullata (N)")
    if kind == "D":
        # the reference does not say what a description row needs: a text, at least
        if not row.get("descr_riga"):
            raise GestionaleError(where + "campo 'descr_riga' obbligatorio")
        return
    for name in ("codice_articolo", "quantita", "cod_iva"):  # the manual's mandatory row fields
        if row.get(name) in (None, ""):
            raise GestionaleError(where + f"campo '{name}' obbligatorio")
    if standin.store.get("articoli", "codice = ?", (row["codice_articolo"],)) is None:
        raise GestionaleError(f"Articolo {row['codice_articolo']} inesistente")
    if not standin.vat_code_known(row["cod_iva"]):
        raise GestionaleError(f"Aliquota IVA '{row['cod_iva']}' inesistente")


def to_arrays(rows: list[dict]) -> dict[str, list[list[Any]]]:
    arrays: dict[str, list[list[Any]]] = {}
    for position, row in enumerate(rows, start=1):
        for name, value in row.items():
            arrays.setdefault(name, []).append([position, value])
    return arrays


def stored_rows(record: dict, resource: str) -> list[dict]:
    names = [*row_fields(resource).by_name, *INSERT_ONLY.get(resource, ())]
    rows: dict[int, dict] = {}
    for name in names:
        for index, value in record.get(name) or []:
            rows.setdefault(index, {})[name] = value
    return [rows[i] for i in sorted(rows)]


def header_of(record: dict, resource: str) -> dict:
    fields = info(resource)
    return {k: v for k, v in record.items() if k in fields}


def assemble(standin, resource: str, header: dict, rows: dict[int, dict], anno: int, existing: dict | None) -> dict:
    """A complete document to store: checked header, rows with their id_riga (new rows numbered)."""
    validate_header(standin, resource, header, anno)
    if not rows:
        raise GestionaleError("Documento senza righe")
    old_ids = {r["id_riga"] for r in stored_rows(existing, resource)} if existing else set()
    last_id = existing.get(INTERNAL_LAST_ID, max(old_ids, default=0)) if existing else 0
    ordered = []
    for index in sorted(rows):
        row = rows[index]
        validate_row(standin, resource, index, row)
        if row["id_riga"] == 0:
            last_id += 1
            row = {**row, "id_riga": last_id}
        elif row["id_riga"] not in old_ids:
            raise GestionaleError(f"Riga {index}: id_riga {row['id_riga']} inesistente nel documento")
        ordered.append(row)
    return {**header, **to_arrays(ordered), INTERNAL_LAST_ID: last_id}


def merge_for_update(existing: dict, resource: str, header: dict, rows: dict[int, dict], solo_testata: bool):
    """PUT: the header given overrides the stored one; rows as the manual says — every existing row
    must be listed by id_riga and tp_riga, rows not listed are deleted, id_riga 0 adds a row."""
    merged_header = {**header_of(existing, resource), **header}
    if solo_testata:
        if rows:
            raise GestionaleError("Con solo_testata=true non si indicano campi di riga")
        return merged_header, dict(enumerate(stored_rows(existing, resource), start=1))
    by_id = {r["id_riga"]: r for r in stored_rows(existing, resource)}
    merged = {}
    for index, row in rows.items():
        if "id_riga" not in row or "tp_riga" not in row:
            raise GestionaleError(f"Riga {index}: in revisione vanno indicati 'id_riga' e 'tp_riga'")
        base = by_id.get(row["id_riga"], {}) if row["id_riga"] else {}
        merged[index] = {**base, **row}
    return merged_header, merged


def check_annulled_not_evaded(standin, existing: dict, rows: dict[int, dict]) -> None:
    """An order row a movement already evades (shipped, invoiced) is not set to annullata by a revision.
    The reference does not say what a real Mexal does with it; the stand-in refuses the unsafe reading."""
    before = {r["id_riga"]: r.get("tipo_stato_riga") for r in stored_rows(existing, ORDERS)}
    key = "{}+{}+{}".format(existing["sigla"], existing["serie"], existing["numero"])
    for index, row in rows.items():
        id_riga = row.get("id_riga")
        if row.get("tipo_stato_riga") == "N" and before.get(id_riga) != "N" and standin.evaded(key, id_riga) > 0:
            raise GestionaleError(f"Riga {index}: riga già evasa da un movimento, non si annulla")


def read_form(record: dict, resource: str) -> dict:
    """A complete document as a keyed read answers it: every header field, every row field per row."""
    out = with_defaults(header_of(record, resource), info(resource))
    rows = stored_rows(record, resource)
    for item in row_fields(resource):
        out[item.name] = [[i, row.get(item.name, item.default())] for i, row in enumerate(rows, start=1)]
    return out


def header_form(record: dict, resource: str) -> dict:
    """A document as listing and ricerca answer it: the header only."""
    return with_defaults(header_of(record, resource), info(resource))


def row_records(record: dict, resource: str) -> list[dict]:
    """The document's rows as the /righe view answers them (header fields of the view repeated)."""
    view: Fields = info(resource + "/righe")
    head = {f.name: record.get(f.name, f.default()) for f in view if f.name in info(resource)}
    return [
        {**head, **{f.name: row.get(f.name, head.get(f.name, f.default())) for f in view if f.name not in head}}
        for row in stored_rows(record, resource)
    ]


def evaded_quantities(standin, header: dict, rows: list[dict]) -> list[tuple[str, int, Decimal]]:
    """Order rows this movement evades: (order key, id_riga, quantity) — checked against their residual.

    The info lists give the link: the movement names the order in its header's sigla_ordine /
    serie_ordine / numero_ordine (relazioni.json: "Ordine evaso dal movimento di magazzino") and a
    row names the order row in id_riga_orig ("Righe a residuo - Numero di riga univoco della riga
    origine"); the evaded quantity is the row's quantita. The order rows have no evaded-quantity
    field in the reference (documenti__ordini-clienti__righe.json), so the stand-in keeps the
    evaded quantities to itself (table ``evasioni``) and shows nothing of them on the order.
    Where the reference is silent the stand-in refuses (the safe side): a quantity beyond the
    row's residual, an article other than the order row's, a cancelled (N) order row."""
    if not header.get("sigla_ordine"):
        return []
    key = f"{header['sigla_ordine']}+{header.get('serie_ordine', 0)}+{header.get('numero_ordine', 0)}"
    order = standin.store.get(
        "documenti",
        "sigla = ? AND serie = ? AND numero = ?",
        (header["sigla_ordine"], header.get("serie_ordine", 0), header.get("numero_ordine", 0)),
    )
    if order is None:
        raise GestionaleError(f"Ordine {key} inesistente")
    order_rows = {r["id_riga"]: r for r in stored_rows(order, ORDERS)}
    evasions = []
    for row in rows:
        id_orig = row.get("id_riga_orig")
        if not id_orig:
            continue
        if id_orig not in order_rows:
            raise GestionaleError(f"Riga {id_orig} inesistente nell'ordine {key}")
        ordered = order_rows[id_orig]
        if ordered.get("tipo_stato_riga") == "N":
            raise GestionaleError(f"Riga {id_orig} dell'ordine {key} annullata")
        if row.get("codice_articolo", "") != ordered.get("codice_articolo", ""):
            raise GestionaleError(
                f"Articolo {row.get('codice_articolo', '')} diverso da quello della riga {id_orig} dell'ordine {key}"
            )
        quantity = Decimal(str(row.get("quantita") or 0))
        residual = Decimal(str(ordered.get("quantita") or 0)) - standin.evaded(key, id_orig)
        if quantity > residual:
            raise GestionaleError(
                f"Quantita' {plain(quantity)} oltre il residuo {plain(residual)} della riga {id_orig} dell'ordine {key}"
            )
        evasions.append((key, id_orig, quantity))
    return evasions


ORDER_LINK = ("sigla_ordine", "serie_ordine", "numero_ordine")


def check_evasion_kept(existing: dict, header: dict, solo_testata: bool) -> None:
    """A revision of a movement that evades an order may change its header (e.g. add the tracking
    number), not what it evades. The reference does not say how a real Mexal recomputes the order's
    residual when such a movement's rows or order change; the stand-in does not guess: it refuses."""
    if not existing.get("sigla_ordine"):
        return
    if any(name in header and header[name] != existing.get(name, "") for name in ORDER_LINK):
        raise GestionaleError("L'ordine evaso da un movimento non si modifica in revisione")
    if not solo_testata:
        raise GestionaleError("Righe di un movimento che evade un ordine: revisione solo con solo_testata=true")


def plain(number: Decimal) -> str:
    """2.0 -> "2", 1.50 -> "1.5" (never "1E+1")."""
    return f"{number.normalize():f}"


def check_origin(standin, header: dict) -> None:
    """A movement transformed from another (relazioni.json: sigla_doc_orig / serie_doc_orig /
    numero_doc_orig name a movimenti-magazzino document, "es. BC -> FT") must name one that exists.
    The reference does not say what a real Mexal does with a missing origin: refused here."""
    if not header.get("numero_doc_orig"):
        return
    origin = (header.get("sigla_doc_orig", ""), header.get("serie_doc_orig", 0), header["numero_doc_orig"])
    found = standin.store.get("movimenti", "sigla = ? AND serie = ? AND numero = ?", origin)
    if found is None:
        raise GestionaleError("Documento di origine {}+{}+{} inesistente".format(*origin))


def check_time(name: str, value: str) -> None:
    """ora_spedizione ("Ora inizio trasporto", Alfanumerico): the reference gives no format. The stand-in
    takes HHMM or HHMMSS (the gestionale's own time format without the date) and refuses the rest."""
    if value and not re.fullmatch(r"([01]\d|2[0-3])[0-5]\d([0-5]\d)?", value):
        raise GestionaleError(f"Ora non valida per il campo '{name}': {value} (formato HHMM o HHMMSS)")
