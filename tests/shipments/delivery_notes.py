"""An operator's gestionale writing delivery notes, over plain HTTP to the gestionale stand-in's WebAPI
(no product code): read the order document, then a movement that evades some of its rows."""

from __future__ import annotations

import base64
import datetime as dt

import requests

USER, PASSWORD, DOMINIO, AZIENDA = "webapi", "webapi", "demo", "DEMO"
ORDERS = "documenti/ordini-clienti"
MOVEMENTS = "documenti/movimenti-magazzino"


def _headers(year: int) -> dict:
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Passepartout {token} Dominio={DOMINIO}",
            "Coordinate-Gestionale": f"Azienda={AZIENDA} Anno={year}"}


def order_document(base_url: str, order_key: str, year: int | None = None) -> dict:
    answer = requests.get(f"{base_url}risorse/{ORDERS}/{order_key}", headers=_headers(year or dt.date.today().year),
                          timeout=10)
    answer.raise_for_status()
    return answer.json()


def deliver(base_url: str, order_key: str, rows: list[tuple[str, int]], *, day: dt.date | None = None,
            carrier: str | None = None, tracking: str | None = None, shipped: dt.datetime | None = None,
            sigla: str = "BC") -> str:
    """A delivery note evading ``rows`` (article, quantity) of the order, each by its order row
    (``id_riga_orig``); with carrier, tracking and transport start when given. Returns its key."""
    day = day or dt.date.today()
    order = order_document(base_url, order_key, day.year)
    codes = dict(order["codice_articolo"])
    ids = dict(order["id_riga"])
    sigla_o, serie_o, numero_o = order_key.split("+")
    body: dict = {"sigla": sigla, "serie": 1, "numero": 0, "cod_conto": order["cod_conto"],
                  "data_documento": day.strftime("%Y%m%d"), "sigla_ordine": sigla_o,
                  "serie_ordine": int(serie_o), "numero_ordine": int(numero_o)}
    indexes = range(1, len(rows) + 1)
    evaded = [next(ids[i] for i, code in codes.items() if code == article) for article, _ in rows]
    body |= {
        "id_riga": [[i, 0] for i in indexes], "tp_riga": [[i, "R"] for i in indexes],
        "codice_articolo": [[i, r[0]] for i, r in zip(indexes, rows, strict=True)],
        "quantita": [[i, r[1]] for i, r in zip(indexes, rows, strict=True)],
        "cod_iva": [[i, "22"] for i in indexes],
        "id_riga_orig": [[i, e] for i, e in zip(indexes, evaded, strict=True)],
    }  # fmt: skip
    if carrier:
        body["cod_vettore"] = carrier
    if tracking:
        body["nr_tracking"] = tracking
    if shipped:
        body |= {"dt_spedizione": shipped.strftime("%Y%m%d"), "ora_spedizione": shipped.strftime("%H%M")}
    answer = requests.post(f"{base_url}risorse/{MOVEMENTS}", json=body, headers=_headers(day.year), timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.headers["Location"].rsplit("/", 1)[-1]


def retrack(base_url: str, movement_key: str, *, carrier: str, tracking: str, shipped: dt.datetime,
            year: int | None = None) -> None:
    """Change a delivery note's carrier, tracking and transport start (a header revision, as an operator
    completing the note later)."""
    sigla, serie, numero, conto = movement_key.split("+")
    headers = _headers(year or dt.date.today().year)
    fields = "data_ult_mod,sigla_ordine,serie_ordine,numero_ordine,sigla_doc_orig,serie_doc_orig,numero_doc_orig"
    read = requests.get(f"{base_url}risorse/{MOVEMENTS}/{movement_key}?fields={fields}", headers=headers, timeout=10)
    read.raise_for_status()
    body = {"sigla": sigla, "serie": int(serie), "numero": int(numero), "cod_conto": conto, **read.json(),
            "cod_vettore": carrier, "nr_tracking": tracking, "dt_spedizione": shipped.strftime("%Y%m%d"),
            "ora_spedizione": shipped.strftime("%H%M")}
    answer = requests.put(f"{base_url}risorse/{MOVEMENTS}/{movement_key}?solo_testata=true", json=body,
                          headers=headers, timeout=10)
    assert answer.status_code == 204, answer.text
