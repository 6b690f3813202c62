"""The stand-in speaks the WebAPI protocol: resources, numbering, errors, auth, limits, persistence."""

from __future__ import annotations

import base64
import datetime as dt
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests
from gestionale_builders import AZIENDA, DOMINIO, PASSWORD, USER

from sandbox.gestionale.app import StandIn
from sandbox.gestionale.catalogue import seed_rows
from sandbox.gestionale.gate import AuthSettings
from sandbox.gestionale.server import running_standin

YEAR = dt.date.today().year


def headers(user=USER, password=PASSWORD, dominio=DOMINIO, azienda=AZIENDA, anno=YEAR) -> dict:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {
        "Authorization": f"Passepartout {token} Dominio={dominio}",
        "Coordinate-Gestionale": f"Azienda={azienda} Anno={anno}",
    }


def post(standin, path, body, **kw):
    return requests.post(standin.base_url + path, json=body, headers=headers(**kw), timeout=5)


def new_customer(standin, codice="501.AUTO", name="Mario Rossi"):
    answer = post(standin, "risorse/clienti", {"codice": codice, "ragione_sociale": name})
    assert answer.status_code == 201, answer.text
    return answer.headers["Location"].rsplit("/", 1)[-1]


def document(code, **fields) -> dict:
    return {
        "sigla": "OX",
        "serie": 2,
        "numero": 0,
        "cod_conto": code,
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


def error_of(answer) -> str:
    return answer.json()["error"]["message"]


def test_customers_explicit_auto_read_and_duplicate(standin):
    assert new_customer(standin, "501.00007") == "501.00007"
    assert new_customer(standin) == "501.00008"  # AUTO: next conto of the mastro
    assert new_customer(standin, "502.AUTO") == "502.00001"
    got = requests.get(standin.base_url + "risorse/clienti/501.00008", headers=headers(), timeout=5)
    assert got.json()["ragione_sociale"] == "Mario Rossi"
    again = post(standin, "risorse/clienti", {"codice": "501.00007", "ragione_sociale": "X"})
    assert again.status_code == 400
    assert error_of(again) == "6001 - errore gestionale [Cliente 501.00007 gia' esistente]"


def test_full_mastro_refuses_auto(standin):
    new_customer(standin, "501.99999")
    full = post(standin, "risorse/clienti", {"codice": "501.AUTO", "ragione_sociale": "X"})
    assert full.status_code == 400 and "Mastro 501 pieno" in error_of(full)


def test_documents_numbered_per_serie_with_location(standin):
    code = new_customer(standin)
    locations = [
        post(standin, "documenti/ordini-clienti", document(code, **extra)).headers["Location"]
        for extra in ({}, {}, {"sigla": "OC"}, {"serie": 3})
    ]
    assert [loc.rsplit("/", 1)[-1] for loc in locations] == ["OX+2+1", "OX+2+2", "OC+2+1", "OX+3+1"]
    got = requests.get(
        standin.base_url + "documenti/ordini-clienti/OX+2+1", headers=headers(), timeout=5
    ).json()
    assert got["tp_riga"] == [[1, "D"], [2, "R"]] and got["totale_documento"] == 24.4


def test_repeated_explicit_number_is_refused(standin):
    code = new_customer(standin)
    assert (
        post(standin, "documenti/ordini-clienti", document(code, sigla="OC", serie=1, numero=172)).status_code
        == 201
    )
    again = post(standin, "documenti/ordini-clienti", document(code, sigla="OC", serie=1, numero=172))
    assert again.status_code == 400
    assert error_of(again) == "6001 - errore gestionale [Documento OC1/172 gia' esistente]"


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"xyz": 1}, "Nome campo 'xyz' non valido"),
        ({"cod_conto": None}, "Campo 'cod_conto' obbligatorio"),
        ({"sigla": "FT"}, "Sigla documento 'FT' non gestita"),
        ({"cod_conto": "501.00099"}, "Conto 501.00099 inesistente"),
        ({"codice_articolo": [[2, "NOPE"]]}, "Articolo NOPE inesistente"),
        ({"cod_iva": [[2, "21"]]}, "Aliquota IVA '21' inesistente"),
        ({"data_documento": "20010101"}, f"Data documento 20010101 fuori dall'anno di lavoro {YEAR}"),
        (
            {"rif_nr_attuale": "x" * 21},
            "Valore troppo lungo per il campo 'rif_nr_attuale' (massimo 20 caratteri)",
        ),
        ({"tp_riga": [[1, "D"], [2, "R"]], "descr_riga": []}, "Riga 1: campo 'descr_riga' obbligatorio"),
    ],
)
def test_document_errors(standin, change, detail):
    code = new_customer(standin)
    body = {k: v for k, v in document(code, **change).items() if v is not None}
    answer = post(standin, "documenti/ordini-clienti", body)
    assert answer.status_code == 400
    assert error_of(answer) == f"6001 - errore gestionale [{detail}]"


def test_ricerca_filters_and_pages(standin):
    code = new_customer(standin)
    for n in range(5):
        post(standin, "documenti/ordini-clienti", document(code, rif_nr_attuale=f"REF-{n % 2}"))
    seen, body = (
        [],
        {
            "filtri": [
                {"campo": "rif_nr_attuale", "condizione": "=", "valore": "ref-0", "case_insensitive": True}
            ],
            "max": 2,
            "fields": ["numero"],
        },
    )
    while True:
        page = post(standin, "documenti/ordini-clienti/ricerca", body).json()
        seen += page["dati"]
        if not page["next"]:
            break
        body["next"] = page["next"]
    assert seen == [{"numero": 1}, {"numero": 3}, {"numero": 5}]
    bad = post(standin, "documenti/ordini-clienti/ricerca", {"filtri": [{"campo": "xyz", "valore": 1}]})
    assert error_of(bad) == "6001 - errore gestionale [Nome campo 'xyz' non valido]"


def test_shipping_addresses_belong_to_a_customer(standin):
    code = new_customer(standin)
    created = post(
        standin,
        "risorse/indirizzi-spedizione",
        {"cod_conto": code, "ragione_sociale": "Luca", "indirizzo": "Via Po 1"},
    )
    address_id = int(created.headers["Location"].rsplit("/", 1)[-1])
    assert (
        post(standin, "documenti/ordini-clienti", document(code, id_ind_sped=address_id)).status_code == 201
    )
    other = new_customer(standin, name="Altro")
    wrong = post(standin, "documenti/ordini-clienti", document(other, id_ind_sped=address_id))
    assert "inesistente per il conto" in error_of(wrong)


def test_login_failures_lock_the_user(standin):
    for _ in range(3):
        answer = requests.get(
            standin.base_url + "risorse/clienti/501.00001", headers=headers(password="bad"), timeout=5
        )
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "2002"
    locked = requests.get(standin.base_url + "risorse/clienti/501.00001", headers=headers(), timeout=5)
    assert locked.status_code == 401 and locked.json()["error"]["code"] == "3002"
    standin.standin.gate.unlock(USER)
    assert (
        requests.get(standin.base_url + "risorse/clienti/501.00001", headers=headers(), timeout=5).status_code
        == 404
    )
    assert (
        requests.get(
            standin.base_url + "risorse/clienti/501.00001", headers=headers(dominio="other"), timeout=5
        ).status_code
        == 401
    )


def test_coordinates_are_required(standin):
    plain = {"Authorization": headers()["Authorization"]}
    missing = requests.get(standin.base_url + "risorse/articoli/ART001", headers=plain, timeout=5)
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "1001"
    wrong = requests.get(
        standin.base_url + "risorse/articoli/ART001", headers=headers(azienda="NOPE"), timeout=5
    )
    assert wrong.status_code == 400
    ok = requests.get(standin.base_url + "risorse/articoli/SPEDSTD", headers=headers(), timeout=5)
    assert ok.json() == {
        "codice": "SPEDSTD",
        "descrizione": "Spese di spedizione standard",
        "cod_iva": "22",
        "spesa": True,
    }


def test_more_than_five_concurrent_requests_get_503(standin):
    standin.faults.update(latency_s=0.5)
    statuses = []

    def call():
        answer = requests.get(standin.base_url + "risorse/articoli/ART001", headers=headers(), timeout=5)
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 5 + [503] * 3


def test_faults_burst_outage_and_drop_after_commit(standin):
    standin.faults.update(fail_503_next=2)
    codes = [
        requests.get(standin.base_url + "risorse/articoli/ART001", headers=headers(), timeout=5).status_code
        for _ in range(3)
    ]
    assert codes == [503, 503, 200]
    standin.faults.update(outage_s=0.3)
    with pytest.raises(requests.ConnectionError):
        requests.get(standin.base_url + "risorse/articoli/ART001", headers=headers(), timeout=5)
    time.sleep(0.35)
    code = new_customer(standin)
    standin.faults.update(drop_after_commit_next=1)
    with pytest.raises(requests.ConnectionError):
        post(standin, "documenti/ordini-clienti", document(code, rif_nr_attuale="DROPPED"))
    assert standin.standin.count_documents(rif_nr_attuale="DROPPED") == 1  # committed all the same


def test_data_persists_across_restarts(tmp_path):
    with running_standin(tmp_path, auth=AuthSettings(users={USER: PASSWORD})) as first:
        assert (
            post(
                first, "risorse/clienti", {"codice": "501.AUTO", "ragione_sociale": "Persistente"}
            ).status_code
            == 201
        )
    with running_standin(tmp_path, auth=AuthSettings(users={USER: PASSWORD})) as second:
        assert second.standin.count_customers(ragione_sociale="Persistente") == 1


def test_catalogue_accepts_an_external_sku_list(tmp_path):
    standin = StandIn(tmp_path, catalogue_rows=[("SKU-X", "Prodotto X", "10")])
    assert standin.store.get("articoli", "codice = ?", ("SKU-X",))["cod_iva"] == "10"
    assert standin.store.get("articoli", "codice = ?", ("ARROTOND",))["cod_iva"] == "E15"
    standin.store.close()
    assert {row["codice"] for row in seed_rows()} >= {"SPEDSTD", "SPEDEXP", "ART001", "ART040"}


def test_command_line_server(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox.gestionale",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path),
            "--user",
            USER,
            "--password",
            PASSWORD,
        ],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = requests.get(
                    f"http://127.0.0.1:{port}/webapi/risorse/articoli/ART001", headers=headers(), timeout=1
                )
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.1)
        assert answer.status_code == 200
        assert (tmp_path / "gestionale.sqlite3").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    ("path", "body", "detail"),
    [
        ("risorse/clienti", {"codice": "501.AUTO"}, "Campo 'ragione_sociale' obbligatorio"),
        (
            "risorse/clienti",
            {"codice": "501.AUTO", "ragione_sociale": "X", "colore": "blu"},
            "Nome campo 'colore' non valido",
        ),
        (
            "risorse/clienti",
            {"codice": "5011.1", "ragione_sociale": "X"},
            "Codice conto '5011.1' non valido (mastro.conto)",
        ),
        (
            "risorse/clienti",
            {"codice": "501.AUTO", "ragione_sociale": "X", "provincia": "MIL"},
            "Valore troppo lungo per il campo 'provincia' (massimo 2 caratteri)",
        ),
        (
            "risorse/indirizzi-spedizione",
            {"cod_conto": "501.00001", "ragione_sociale": "X"},
            "Campo 'indirizzo' obbligatorio",
        ),
        (
            "risorse/indirizzi-spedizione",
            {"cod_conto": "509.00001", "ragione_sociale": "X", "indirizzo": "Via"},
            "Conto 509.00001 inesistente",
        ),
    ],
)
def test_customer_and_address_errors(standin, path, body, detail):
    answer = post(standin, path, body)
    assert answer.status_code == 400
    assert error_of(answer) == f"6001 - errore gestionale [{detail}]"
