"""What the stand-in gestionale accepts: fields, lengths, mandatory fields, VAT codes.

This is the stand-in's own view of the gestionale, written independently of the
client so that the client's truncation and totals are checked against it rather
than against themselves. Lengths are the stand-in's assumption of the gestionale
archive sizes; the client must stay within them.
"""

from __future__ import annotations

from decimal import Decimal

# field -> maximum length (None: not a string field)
CLIENTI: dict[str, int | None] = {
    "codice": 9,
    "ragione_sociale": 80,
    "privato": None,
    "indirizzo": 60,
    "cap": 10,
    "localita": 60,
    "provincia": 2,
    "nazione": 3,
    "partita_iva": 20,
    "codice_fiscale": 16,
    "email": 100,
    "telefono": 30,
}
CLIENTI_MANDATORY = ("codice", "ragione_sociale")

INDIRIZZI: dict[str, int | None] = {
    "id": None,
    "cod_conto": 9,
    "ragione_sociale": 80,
    "indirizzo": 60,
    "cap": 10,
    "localita": 60,
    "provincia": 2,
    "nazione": 3,
    "telefono": 30,
}
INDIRIZZI_MANDATORY = ("cod_conto", "ragione_sociale", "indirizzo")

ARTICOLI: dict[str, int | None] = {
    "codice": 20,
    "descrizione": 60,
    "cod_iva": 4,
    "spesa": None,
}

DOC_HEADER: dict[str, int | None] = {
    "sigla": 2,
    "serie": None,
    "numero": None,
    "cod_conto": 9,
    "data_documento": 8,
    "id_causale": None,
    "id_magazzino": None,
    "id_costo_ricavo": None,
    "nota": 100,
    "id_ind_sped": None,
    "cod_vettore": 10,
    "val_spese_sped": None,
    "rif_nr_attuale": 20,
    "rif_dt_attuale": 8,
    "id_pagamento": None,
    "id_valuta": None,
}
DOC_HEADER_MANDATORY = ("sigla", "serie", "numero", "cod_conto", "data_documento")

DOC_ROWS: dict[str, int | None] = {
    "id_riga": None,
    "tp_riga": 1,
    "codice_articolo": 20,
    "descr_riga": 60,
    "quantita": None,
    "prezzo": None,
    "sconto": None,
    "cod_iva": 4,
}
DOC_SIGLE = ("OC", "OX")

# cod_iva -> rate in percent. E15: excluded from the VAT base (art. 15 DPR 633/72),
# used for rounding differences.
VAT_CODES: dict[str, Decimal] = {
    "22": Decimal("22"),
    "10": Decimal("10"),
    "5": Decimal("5"),
    "4": Decimal("4"),
    "0": Decimal("0"),
    "E15": Decimal("0"),
}

MAX_CONTO = 99999
