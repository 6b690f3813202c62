"""Plain HTTP calls to the gestionale stand-in, as any WebAPI client would make them (no product code)."""

from __future__ import annotations

import base64
import datetime as dt

import requests
from gestionale_builders import AZIENDA, DOMINIO, PASSWORD, USER

YEAR = dt.date.today().year


def headers(user=USER, password=PASSWORD, dominio=DOMINIO, azienda=AZIENDA, anno=YEAR) -> dict:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {
        "Authorization": f"Passepartout {token} Dominio={dominio}",
        "Coordinate-Gestionale": f"Azienda={azienda} Anno={anno}",
    }


def url(standin, path: str) -> str:
    return standin.base_url + "risorse/" + path


def post(standin, path, body, timeout=5, **kw) -> requests.Response:
    return requests.post(url(standin, path), json=body, headers=headers(**kw), timeout=timeout)


def put(standin, path, body, **kw) -> requests.Response:
    return requests.put(url(standin, path), json=body, headers=headers(**kw), timeout=5)


def get(standin, path, **kw) -> requests.Response:
    return requests.get(url(standin, path), headers=headers(**kw), timeout=5)


def detail(answer: requests.Response) -> str:
    return answer.json()["error"]["response-detail"]


def refused(answer: requests.Response, text: str) -> bool:
    return answer.status_code == 400 and detail(answer) == f"6001 - errore gestionale [{text}]"


def created_key(answer: requests.Response) -> str:
    assert answer.status_code == 201, answer.text
    assert answer.content == b""
    return answer.headers["Location"].rsplit("/", 1)[-1]


def new_customer(standin, codice="501.00001", name="Mario Rossi") -> str:
    return created_key(post(standin, "clienti", {"codice": codice, "ragione_sociale": name}))


def order(conto: str, **fields) -> dict:
    return {
        "sigla": "OX",
        "serie": 2,
        "numero": 0,
        "cod_conto": conto,
        "data_documento": f"{YEAR}0115",
        "rif_nr_attuale": "405-1",
        "id_riga": [[1, 0], [2, 0]],
        "tp_riga": [[1, "D"], [2, "R"]],
        "descr_riga": [[1, "nota"]],
        "codice_articolo": [[2, "ART001"]],
        "quantita": [[2, 2]],
        "prezzo": [[2, 12.2]],
        "cod_iva": [[2, "22"]],
        **fields,
    }


def search(standin, path, filters, query="", **kw) -> requests.Response:
    return post(standin, f"{path}/ricerca{query}", {"filtri": filters}, **kw)
