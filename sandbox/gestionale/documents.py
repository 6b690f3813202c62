"""Customer orders (OC/OX): row arrays, validation, and the totals the gestionale computes."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.gestionale import schema
from sandbox.gestionale.store import Store
from sandbox.gestionale.validation import (
    GestionaleError,
    as_date,
    as_decimal,
    as_int,
    check_fields,
    check_length,
)

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def split_rows(body: dict) -> tuple[dict, dict[int, dict]]:
    """Header fields, and rows by index from the parallel ``[[row_index, value], ...]`` arrays."""
    header, rows = {}, {}
    for name, value in body.items():
        if name in schema.DOC_ROWS:
            if not isinstance(value, list):
                raise GestionaleError(f"Campo di riga '{name}' non valido: attesa una lista di [riga, valore]")
            for pair in value:
                if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], int)):
                    raise GestionaleError(f"Campo di riga '{name}' non valido: attesa una lista di [riga, valore]")
                rows.setdefault(pair[0], {})[name] = pair[1]
        elif name in schema.DOC_HEADER:
            header[name] = value
        else:
            raise GestionaleError(f"Nome campo '{name}' non valido")
    return header, rows


def validate(body: dict, store: Store, anno: int) -> tuple[dict, dict[int, dict]]:
    header, rows = split_rows(body)
    check_fields(header, schema.DOC_HEADER, schema.DOC_HEADER_MANDATORY)
    if header["sigla"] not in schema.DOC_SIGLE:
        raise GestionaleError(f"Sigla documento '{header['sigla']}' non gestita")
    for name in (
        "serie",
        "numero",
        "id_causale",
        "id_magazzino",
        "id_costo_ricavo",
        "id_ind_sped",
        "id_pagamento",
        "id_valuta",
    ):
        if header.get(name) is not None:
            header[name] = as_int(name, header[name])
    if not 1 <= header["serie"] <= 999 or header["numero"] < 0:
        raise GestionaleError("Serie o numero documento non validi")
    if as_date("data_documento", header["data_documento"]).year != anno:
        raise GestionaleError(f"Data documento {header['data_documento']} fuori dall'anno di lavoro {anno}")
    if header.get("rif_dt_attuale"):
        as_date("rif_dt_attuale", header["rif_dt_attuale"])
    if store.get("clienti", "codice = ?", (header["cod_conto"],)) is None:
        raise GestionaleError(f"Conto {header['cod_conto']} inesistente")
    if header.get("id_ind_sped"):
        address = store.get("indirizzi", "id = ?", (header["id_ind_sped"],))
        if address is None or address["cod_conto"] != header["cod_conto"]:
            raise GestionaleError(f"Indirizzo di spedizione {header['id_ind_sped']} inesistente per il conto")
    if not rows:
        raise GestionaleError("Documento senza righe")
    for index in sorted(rows):
        rows[index] = _validate_row(index, rows[index], store)
    return header, rows


def _validate_row(index: int, row: dict, store: Store) -> dict:
    for name, value in row.items():
        check_length(name, value, schema.DOC_ROWS[name])
    kind = row.get("tp_riga")
    if kind == "D":
        if not row.get("descr_riga"):
            raise GestionaleError(f"Riga {index}: campo 'descr_riga' obbligatorio")
        return {"tp_riga": "D", "descr_riga": row["descr_riga"]}
    if kind != "R":
        raise GestionaleError(f"Riga {index}: tipo riga '{kind}' non gestito")
    for name in ("codice_articolo", "quantita", "prezzo"):
        if row.get(name) in (None, ""):
            raise GestionaleError(f"Riga {index}: campo '{name}' obbligatorio")
    article = store.get("articoli", "codice = ?", (row["codice_articolo"],))
    if article is None:
        raise GestionaleError(f"Articolo {row['codice_articolo']} inesistente")
    vat_code = str(row.get("cod_iva") or article["cod_iva"])
    if vat_code not in schema.VAT_CODES:
        raise GestionaleError(f"Aliquota IVA '{vat_code}' inesistente")
    return {
        "tp_riga": "R",
        "codice_articolo": row["codice_articolo"],
        "descr_riga": row.get("descr_riga") or article["descrizione"],
        "quantita": as_decimal("quantita", row["quantita"]),
        "prezzo": as_decimal("prezzo", row["prezzo"]),
        "sconto": as_decimal("sconto", row.get("sconto") or 0),
        "cod_iva": vat_code,
    }


def totals(sigla: str, rows: list[dict]) -> dict[str, Decimal]:
    """OC: net rows, VAT per code on the net sum. OX: gross rows, VAT split out per code."""
    by_code: dict[str, Decimal] = {}
    for row in rows:
        if row["tp_riga"] != "R":
            continue
        amount = cents(row["quantita"] * row["prezzo"] * (1 - row["sconto"] / 100))
        by_code[row["cod_iva"]] = by_code.get(row["cod_iva"], Decimal(0)) + amount
    net = vat = Decimal(0)
    for code, amount in by_code.items():
        rate = schema.VAT_CODES[code] / 100
        if sigla == "OC":
            net, vat = net + amount, vat + cents(amount * rate)
        else:
            base = cents(amount / (1 + rate))
            net, vat = net + base, vat + amount - base
    return {"totale_imponibile": net, "totale_imposta": vat, "totale_documento": net + vat}


def to_arrays(rows: dict[int, dict]) -> dict[str, list[list[Any]]]:
    """Rows back into the parallel arrays, numbering id_riga as the gestionale does."""
    arrays: dict[str, list[list[Any]]] = {"id_riga": []}
    for position, index in enumerate(sorted(rows), start=1):
        arrays["id_riga"].append([index, position])
        for name, value in rows[index].items():
            arrays.setdefault(name, []).append([index, value])
    return arrays
