"""Every field name of each info file is accepted, stored and read back by its resource.

The bodies are derived from reference/mexal-webapi/sorgenti/info/*.json, so the test follows the
files: a field added there is exercised here without editing the test."""

from __future__ import annotations

from standin_http import YEAR, created_key, get, new_customer, post

from sandbox.gestionale.reference import info, row_fields

# values whose meaning the stand-in checks (codes that must exist, dates, row kinds)
MEANINGFUL = {
    "data_documento": f"{YEAR}0115",
    "rif_dt_attuale": f"{YEAR}0114",
    "dt_spedizione": f"{YEAR}0116",
    "ora_spedizione": "1030",
    "data_doc_orig": f"{YEAR}0110",
    "id_valuta": 1,
    "id_magazzino": 1,
    "id_causale": 1,
    "id_costo_ricavo": 1,
    "id_pagamento": 1,
    "alq_iva": "22",
    "sconto": "10",
    "tipo_stato_riga": "E",
}
SKIPPED = {"data_ult_mod"}  # set by the gestionale on every write


def sample(item, name=None):
    name = name or item.name
    if name in MEANINGFUL:
        return MEANINGFUL[name]
    return {"Numerico": 2, "Numerico con virgola": 1.5, "Data e ora": f"{YEAR}0115 101500"}.get(item.tipo, "A")


def header_body(resource: str, fixed: dict) -> dict:
    body = {}
    for item in info(resource):
        if item.name in SKIPPED:
            continue
        value = fixed.get(item.name, sample(item))
        body[item.name] = [[1, value]] if item.array and item.name not in fixed else value
    return body


def row_body(resource: str, fixed_row: dict) -> dict:
    body = {}
    for item in row_fields(resource):
        if item.name in SKIPPED:
            continue
        value = fixed_row.get(item.name, sample(item))
        body[item.name] = [[1, [[1, value]] if item.array else value]]
    return body


def assert_read_back(sent: dict, read: dict, ignore=()) -> None:
    for name, value in sent.items():
        if name not in ignore:
            assert read[name] == value, name


def test_every_customer_field(standin):
    body = header_body("clienti", {"codice": "501.00001", "ragione_sociale": "Rossi", "provincia": "MI"})
    created_key(post(standin, "clienti", body))
    assert_read_back(body, get(standin, "clienti/501.00001").json())


def test_every_address_field(standin):
    code = new_customer(standin)
    body = header_body("indirizzi-spedizione", {"cod_conto": code, "provincia": "MI"})
    del body["id"]
    key = created_key(post(standin, "indirizzi-spedizione", body))
    assert_read_back(body, get(standin, f"indirizzi-spedizione/{key}").json())


def test_every_article_field(standin):
    body = header_body("articoli", {"codice": "NEWART", "descrizione": "Nuovo"})
    created_key(post(standin, "articoli", body))
    read = get(standin, "articoli/NEWART").json()
    assert_read_back(body, read, ignore={"alq_iva"})
    assert read["alq_iva"] == " 22,0"


def document_fixed(code: str) -> dict:
    return {"sigla": "OC", "serie": 1, "numero": 0, "cod_conto": code, "id_ind_sped": "", "provincia": "MI"}


def test_every_order_field(standin):
    code = new_customer(standin)
    # annullata: the only state a cancellation category (cat_annul_riga, given a value here) belongs to
    fixed_row = {"id_riga": 0, "tp_riga": "R", "codice_articolo": "ART001", "cod_iva": "22", "quantita": 3,
                 "tipo_stato_riga": "N"}
    body = header_body("documenti/ordini-clienti", document_fixed(code)) | row_body(
        "documenti/ordini-clienti", fixed_row
    )
    key = created_key(post(standin, "documenti/ordini-clienti", body))
    read = get(standin, f"documenti/ordini-clienti/{key}").json()
    assert_read_back(body, read, ignore={"numero", "id_riga"})
    assert read["numero"] == 1 and read["id_riga"][0][1] != 0


def test_every_movement_field(standin):
    code = new_customer(standin)
    order = {"sigla": "OC", "serie": 1, "numero": 0, "cod_conto": code, "data_documento": f"{YEAR}0115",
             "id_riga": [[1, 0]], "tp_riga": [[1, "R"]], "codice_articolo": [[1, "ART001"]], "quantita": [[1, 5]],
             "cod_iva": [[1, "22"]]}  # fmt: skip
    created_key(post(standin, "documenti/ordini-clienti", order))
    order_row = get(standin, "documenti/ordini-clienti/OC+1+1?fields=id_riga").json()["id_riga"][0][1]
    origin = {"sigla": "BC", "serie": 1, "numero": 0, "cod_conto": code, "data_documento": f"{YEAR}0110",
              "id_riga": [[1, 0]], "tp_riga": [[1, "R"]], "codice_articolo": [[1, "ART001"]], "quantita": [[1, 1]],
              "cod_iva": [[1, "22"]]}  # fmt: skip
    created_key(post(standin, "documenti/movimenti-magazzino", origin))  # the BC the movement below comes from
    fixed = {
        **document_fixed(code),
        "sigla": "FT",
        "sigla_ordine": "OC",
        "serie_ordine": 1,
        "numero_ordine": 1,
        "data_ordine": f"{YEAR}0115",
        "sigla_doc_orig": "BC",
        "serie_doc_orig": 1,
        "numero_doc_orig": 1,
    }
    fixed_row = {"id_riga": 0, "codice_articolo": "ART001", "cod_iva": "22", "quantita": 2, "id_riga_orig": order_row}
    body = header_body("documenti/movimenti-magazzino", fixed) | row_body("documenti/movimenti-magazzino", fixed_row)
    body["tp_riga"] = [[1, "R"]]  # insert-only (openapi x-mexal-solo-inserimento), not in the info list
    key = created_key(post(standin, "documenti/movimenti-magazzino", body))
    read = get(standin, f"documenti/movimenti-magazzino/{key}").json()
    assert_read_back(body, read, ignore={"numero", "id_riga", "tp_riga"})
    assert "tp_riga" not in read
