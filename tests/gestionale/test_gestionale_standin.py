"""The stand-in speaks the WebAPI as the vendored reference describes it, tested over plain HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal

import pytest
import requests
from gestionale_builders import PASSWORD, USER
from standin_http import (
    YEAR,
    created_key,
    detail,
    get,
    headers,
    new_customer,
    order,
    post,
    put,
    refused,
    search,
    url,
)

from sandbox.gestionale.app import StandIn
from sandbox.gestionale.catalogue import seed_rows
from sandbox.gestionale.gate import AuthSettings
from sandbox.gestionale.server import running_standin
from sandbox.gestionale.tls import make_self_signed_cert

AUTH = AuthSettings(users={USER: PASSWORD})


# ---- customers, addresses, articles


def test_customer_create_read_and_duplicate(standin):
    answer = post(standin, "clienti", {"codice": "501.00007", "ragione_sociale": "Rossi Srl", "cod_paese": "IT"})
    assert answer.status_code == 201 and answer.content == b""
    assert answer.headers["Location"] == "/webapi/risorse/clienti/501.00007"
    read = get(standin, "clienti/501.00007").json()
    assert read["ragione_sociale"] == "Rossi Srl" and read["cod_paese"] == "IT"
    assert read["gest_per_fisica"] == "" and len(read) == 180  # every field of the info list
    assert get(standin, "clienti/501.00007?fields=codice,cod_paese").json() == {
        "codice": "501.00007",
        "cod_paese": "IT",
    }
    again = post(standin, "clienti", {"codice": "501.00007", "ragione_sociale": "X"})
    assert refused(again, "Cliente 501.00007 gia' esistente")


def test_customer_auto_is_refused_unless_enabled(standin, tmp_path):
    assert refused(
        post(standin, "clienti", {"codice": "501.AUTO", "ragione_sociale": "X"}),
        "Codice conto '501.AUTO' non valido (formato mastro.conto)",
    )
    with running_standin(tmp_path, auth=AUTH, customer_auto=True) as auto:
        assert new_customer(auto, "501.00007") == "501.00007"
        assert new_customer(auto, "501.AUTO") == "501.00008"
        assert new_customer(auto, "502.AUTO") == "502.00001"
        new_customer(auto, "503.99999")
        assert refused(
            post(auto, "clienti", {"codice": "503.AUTO", "ragione_sociale": "X"}),
            "Mastro 503 pieno: nessun conto libero",
        )


@pytest.mark.parametrize(
    ("path", "body", "text"),
    [
        ("clienti", {"codice": "501.00001"}, "Campo 'ragione_sociale' obbligatorio"),
        (
            "clienti",
            {"codice": "5011.1", "ragione_sociale": "X"},
            "Codice conto '5011.1' non valido (formato mastro.conto)",
        ),
        (
            "clienti",
            {"codice": "501.00001", "ragione_sociale": "X", "provincia": "MIL"},
            "Valore troppo lungo per il campo 'provincia' (massimo 2 caratteri)",
        ),
        (
            "clienti",
            {"codice": "501.00001", "ragione_sociale": 5},
            "Valore non alfanumerico per il campo 'ragione_sociale'",
        ),
        (
            "clienti",
            {"codice": "501.00001", "ragione_sociale": "X", "mesi_esclusi": [1, 2]},
            "Campo array 'mesi_esclusi' non valido: attesa una lista di coppie [indice, valore]",
        ),
        ("indirizzi-spedizione", {"cod_conto": "509.00001", "descrizione": "X"}, "Conto 509.00001 inesistente"),
        ("articoli", {"codice": "NEW1"}, "Campo 'descrizione' obbligatorio"),
    ],
)
def test_record_refusals(standin, path, body, text):
    assert refused(post(standin, path, body), text)


def test_shipping_address_ids_are_alphanumeric_and_linked(standin):
    code = new_customer(standin)
    first = created_key(
        post(standin, "indirizzi-spedizione", {"cod_conto": code, "descrizione": "Luca", "cap": "20100"})
    )
    second = created_key(post(standin, "indirizzi-spedizione", {"cod_conto": code, "descrizione": "Anna"}))
    assert first != second and not first.isdigit() and not second.isdigit()
    read = get(standin, f"indirizzi-spedizione/{first}").json()
    assert read["id"] == first and read["cod_conto"] == code and read["descrizione"] == "Luca"
    found = search(standin, "indirizzi-spedizione", [{"campo": "cod_conto", "condizione": "=", "valore": code}])
    assert [a["id"] for a in found.json()["dati"]] == [first, second]


def test_articles_read_their_rate_formatted_and_hex_keys(standin):
    assert get(standin, "articoli/SPEDSTD?fields=codice,alq_iva").json() == {"codice": "SPEDSTD", "alq_iva": " 22,0"}
    assert get(standin, "articoli/ARROTOND?fields=alq_iva").json() == {"alq_iva": "E15"}
    answer = post(standin, "articoli", {"codice": "ARTI/S", "descrizione": "Con barra", "alq_iva": "10"})
    assert answer.status_code == 201
    assert answer.headers["Location"] == "/webapi/risorse/articoli/415254492f53?encoding=hex"
    assert get(standin, "articoli/415254492f53?encoding=hex").json()["alq_iva"] == " 10,0"
    assert get(standin, "articoli/ARTI/S").status_code == 404
    assert get(standin, "articoli/NOPE").status_code == 404 and get(standin, "articoli/NOPE").content == b""


# ---- orders


def test_orders_numbered_per_sigla_and_serie_rows_with_ids_and_no_totals(standin):
    code = new_customer(standin)
    keys = [
        created_key(post(standin, "documenti/ordini-clienti", order(code, **extra)))
        for extra in ({}, {}, {"sigla": "OC"}, {"serie": 3})
    ]
    assert keys == ["OX+2+1", "OX+2+2", "OC+2+1", "OX+3+1"]
    read = get(standin, "documenti/ordini-clienti/OX+2+1").json()
    assert read["tp_riga"] == [[1, "D"], [2, "R"]]
    assert all(value != 0 for _, value in read["id_riga"])
    assert read["quantita"] == [[1, 0.0], [2, 2]] and read["cod_iva"] == [[1, ""], [2, "22"]]
    assert not any(name.startswith("totale") for name in read)
    assert standin.standin.totals("OX+2+1")["totale_documento"] == Decimal("24.40")
    root = standin.base_url.removesuffix("webapi/")
    assert requests.get(root + "_sandbox/totali/ordini-clienti/OX+2+1", timeout=5).json()["totale_imposta"] == 4.4


def test_totals_follow_the_gestionale_rules(standin):
    code = new_customer(standin)
    rows = {
        "id_riga": [[1, 0], [2, 0], [3, 0]],
        "tp_riga": [[1, "R"], [2, "R"], [3, "R"]],
        "codice_articolo": [[1, "ART001"], [2, "ART002"], [3, "ARROTOND"]],
        "quantita": [[1, 3], [2, 1], [3, 1]],
        "prezzo": [[1, 9.99], [2, 10.0], [3, 0.01]],
        "sconto": [[2, "10"]],
        "cod_iva": [[1, "22"], [2, "10"], [3, "E15"]],
    }
    body = {k: v for k, v in order(code).items() if k not in ("descr_riga",)} | rows
    oc = created_key(post(standin, "documenti/ordini-clienti", {**body, "sigla": "OC"}))
    ox = created_key(post(standin, "documenti/ordini-clienti", {**body, "sigla": "OX"}))
    net = standin.standin.totals(oc)  # 29.97 at 22 % -> 6.59; 9.00 at 10 % -> 0.90; 0.01 exempt
    assert (net["totale_imponibile"], net["totale_imposta"], net["totale_documento"]) == (
        Decimal("38.98"),
        Decimal("7.49"),
        Decimal("46.47"),
    )
    gross = standin.standin.totals(ox)  # 29.97 gross -> 24.57 + 5.40; 9.00 -> 8.18 + 0.82; 0.01
    assert (gross["totale_imponibile"], gross["totale_imposta"], gross["totale_documento"]) == (
        Decimal("32.76"),
        Decimal("6.22"),
        Decimal("38.98"),
    )


@pytest.mark.parametrize(
    ("change", "text"),
    [
        ({"xyz": 1}, "Nome campo 'xyz' non valido"),
        ({"cod_conto": None}, "Campo 'cod_conto' obbligatorio"),
        ({"data_documento": None}, "Campo 'data_documento' obbligatorio"),
        ({"sigla": "FT"}, "Sigla documento 'FT' non gestita"),
        ({"cod_conto": "501.00099"}, "Conto 501.00099 inesistente"),
        ({"codice_articolo": [[2, "NOPE"]]}, "Articolo NOPE inesistente"),
        ({"cod_iva": [[2, "16"]]}, "Aliquota IVA '16' inesistente"),  # a rate the company never set up
        ({"cod_iva": [[2, " 22,0"]]}, "Aliquota IVA ' 22,0' inesistente"),
        ({"cod_iva": [[2, "N99"]]}, "Aliquota IVA 'N99' inesistente"),
        ({"id_valuta": 9}, "Valore 9 del campo 'id_valuta' inesistente in dati-generali/valute"),
        ({"data_documento": "20010101"}, f"Data documento 20010101 fuori dall'anno di lavoro {YEAR}"),
        ({"quantita": [2]}, "Campo array 'quantita' non valido: attesa una lista di coppie [indice, valore]"),
        ({"id_riga": [[1, 0], [2, 5]]}, "Riga 2: in inserimento id_riga deve essere 0"),
        ({"tp_riga": [[1, "D"], [2, "R"]], "descr_riga": []}, "Riga 1: campo 'descr_riga' obbligatorio"),
        ({"tipo_stato_riga": [[2, "X"]]}, "Riga 2: stato riga 'X' non valido"),
        ({"id_ind_sped": 1}, "Valore non alfanumerico per il campo 'id_ind_sped'"),
        ({"rif_nr_attuale": "x" * 21}, "Valore troppo lungo per il campo 'rif_nr_attuale' (massimo 20 caratteri)"),
    ],
)
def test_order_refusals(standin, change, text):
    code = new_customer(standin)
    body = {k: v for k, v in order(code, **change).items() if v is not None}
    assert refused(post(standin, "documenti/ordini-clienti", body), text)


def test_order_checks_address_owner_exemptions_table_and_duplicates(standin):
    code, other = new_customer(standin), new_customer(standin, "501.00002", "Altro")
    address = created_key(post(standin, "indirizzi-spedizione", {"cod_conto": code, "descrizione": "Luca"}))
    assert post(standin, "documenti/ordini-clienti", order(code, id_ind_sped=address)).status_code == 201
    wrong = post(standin, "documenti/ordini-clienti", order(other, id_ind_sped=address))
    assert refused(wrong, f"Indirizzo di spedizione {address} inesistente per il conto 501.00002")
    exempt = order(code, cod_iva=[[2, "N41"]])
    assert post(standin, "documenti/ordini-clienti", exempt).status_code == 201
    standin.standin.set_table("dati-generali/esenzioni-iva", [{"codice": "E15", "descrizione": "Escluso art.15"}])
    assert refused(post(standin, "documenti/ordini-clienti", exempt), "Aliquota IVA 'N41' inesistente")
    fixed = order(code, sigla="OC", serie=1, numero=172)
    assert created_key(post(standin, "documenti/ordini-clienti", fixed)) == "OC+1+172"
    assert refused(post(standin, "documenti/ordini-clienti", fixed), "Documento OC1/172 gia' esistente")


def test_order_revision(standin):
    code = new_customer(standin)
    key = created_key(post(standin, "documenti/ordini-clienti", order(code)))
    path = f"documenti/ordini-clienti/{key}"
    first = get(standin, path).json()
    ids = dict(first["id_riga"])
    stamp = first["data_ult_mod"]
    key_fields = {"sigla": "OX", "serie": 2, "numero": 1}
    assert refused(put(standin, path, {**key_fields, "nota": "x"}), "Campo 'data_ult_mod' obbligatorio in revisione")
    # header only: rows kept although the body names none
    answer = put(standin, path + "?solo_testata=true", {**key_fields, "nota": "urgente", "data_ult_mod": stamp})
    assert answer.status_code == 204 and answer.content == b""
    second = get(standin, path).json()
    assert second["nota"] == "urgente" and second["id_riga"] == first["id_riga"] and second["data_ult_mod"] != stamp
    stale = put(standin, path + "?solo_testata=true", {**key_fields, "nota": "tardi", "data_ult_mod": stamp})
    assert refused(stale, "Record modificato da un altro utente: rileggere il record")
    # rows: the article row is kept (listed by id_riga and tp_riga), the description row omitted -> deleted,
    # a new row added with id_riga 0
    body = {
        **key_fields,
        "data_ult_mod": second["data_ult_mod"],
        "id_riga": [[1, ids[2]], [2, 0]],
        "tp_riga": [[1, "R"], [2, "R"]],
        "codice_articolo": [[2, "ART002"]],
        "quantita": [[1, 5], [2, 1]],
        "cod_iva": [[2, "10"]],
        "tipo_stato_riga": [[1, "S"]],
    }
    assert put(standin, path, body).status_code == 204
    third = get(standin, path).json()
    assert third["codice_articolo"] == [[1, "ART001"], [2, "ART002"]]
    assert third["quantita"] == [[1, 5], [2, 1]] and third["tipo_stato_riga"] == [[1, "S"], [2, ""]]
    assert third["id_riga"][0] == [1, ids[2]] and third["id_riga"][1][1] not in (0, *ids.values())
    missing_kind = {**key_fields, "data_ult_mod": third["data_ult_mod"], "id_riga": [[1, ids[2]]]}
    assert refused(put(standin, path, missing_kind), "Riga 1: in revisione vanno indicati 'id_riga' e 'tp_riga'")
    no_rows = {**key_fields, "data_ult_mod": third["data_ult_mod"], "nota": "x"}
    assert refused(put(standin, path, no_rows), "Documento senza righe")
    assert put(standin, "documenti/ordini-clienti/OX+2+99", no_rows).status_code == 404


# ---- ricerca and listings


def test_ricerca_pages_with_opaque_tokens(standin):
    code = new_customer(standin)
    for n in range(5):
        post(standin, "documenti/ordini-clienti", order(code, rif_nr_attuale=f"REF-{n % 2}"))
    filters = [{"campo": "rif_nr_attuale", "condizione": "=", "valore": "ref-0", "case_insensitive": True}]
    seen, query = [], "?max=2&fields=numero"
    while True:
        page = search(standin, "documenti/ordini-clienti", filters, query).json()
        seen += page["dati"]
        if "next" not in page:
            break
        assert not page["next"].isdigit()
        query = f"?max=2&fields=numero&next={page['next']}"
    assert seen == [{"numero": 1}, {"numero": 3}, {"numero": 5}]
    either = [{"campo": "rif_nr_attuale", "condizione": "=", "valore": ["REF-1", "nothing"]}]
    assert [
        d["numero"] for d in search(standin, "documenti/ordini-clienti", either, "?fields=numero").json()["dati"]
    ] == [2, 4]
    both = [
        {"campo": "numero", "condizione": ">=", "valore": 2},
        {"campo": "rif_nr_attuale", "condizione": "inizia_per", "valore": "REF-0"},
    ]
    assert [
        d["numero"] for d in search(standin, "documenti/ordini-clienti", both, "?fields=numero").json()["dati"]
    ] == [3, 5]
    contains = [{"campo": "ragione_sociale", "condizione": "contiene", "valore": "ROSSI", "case_insensitive": True}]
    assert [c["codice"] for c in search(standin, "clienti", contains, "?fields=codice").json()["dati"]] == [code]


def test_ricerca_refusals(standin):
    bad = search(standin, "clienti", [{"campo": "xyz", "condizione": "=", "valore": 1}])
    assert refused(bad, "Nome campo 'xyz' non valido")
    assert refused(
        search(standin, "clienti", [{"campo": "codice", "condizione": "like", "valore": "5"}]),
        "Condizione 'like' non valida",
    )
    assert refused(search(standin, "clienti", [{"campo": "codice", "condizione": "="}]), "Filtro senza 'valore'")
    one = [{"campo": "codice", "condizione": "<>", "valore": ""}]
    assert refused(search(standin, "articoli", one, "?max=1001"), "Valore di max non valido: 1001 (da 1 a 1000)")
    assert refused(search(standin, "articoli", one, "?next=2"), "Token next non valido o scaduto")
    assert refused(search(standin, "articoli", one, "?fields=cod_iva"), "Nome campo 'cod_iva' non valido")
    assert refused(search(standin, "articoli", one, "?colore=blu"), "Parametro 'colore' non valido")


def test_next_tokens_expire(tmp_path):
    with running_standin(tmp_path, auth=AUTH, next_ttl_s=0.2) as short:
        page = requests.get(url(short, "articoli?max=2&fields=codice"), headers=headers(), timeout=5).json()
        time.sleep(0.3)
        late = requests.get(url(short, f"articoli?max=2&next={page['next']}"), headers=headers(), timeout=5)
        assert refused(late, "Token next non valido o scaduto")


def test_listings_page_through_whole_archives(standin):
    codes, query = [], "?max=7&fields=codice"
    while True:
        page = get(standin, "articoli" + query).json()
        codes += [a["codice"] for a in page["dati"]]
        if "next" not in page:
            break
        query = f"?max=7&fields=codice&next={page['next']}"
    assert codes == [r["codice"] for r in seed_rows()]
    valute = get(standin, "dati-generali/valute?fields=id,sigla,cambio_euro").json()["dati"]
    assert [v["sigla"] for v in valute] == ["EUR", "GBP", "PLN", "SEK"] and valute[0]["cambio_euro"] == 1.0
    exemptions = search(
        standin, "dati-generali/esenzioni-iva", [{"campo": "codice", "condizione": "=", "valore": "E15"}]
    )
    assert exemptions.json()["dati"][0]["descrizione"].startswith("Escluso art.15")
    assert get(standin, "dati-generali/valute/1").status_code == 404  # help.json lists no keyed read


def test_document_listings_give_headers_and_rows_come_from_righe(standin):
    code = new_customer(standin)
    post(standin, "documenti/ordini-clienti", order(code))
    header = get(standin, "documenti/ordini-clienti").json()["dati"][0]
    assert header["numero"] == 1 and "id_riga" not in header and "quantita" not in header
    rows = search(
        standin,
        "documenti/ordini-clienti/righe",
        [{"campo": "codice_articolo", "condizione": "=", "valore": "ART001"}],
        "?fields=sigla,serie,numero,id_riga,quantita",
    ).json()["dati"]
    assert len(rows) == 1 and rows[0]["numero"] == 1 and rows[0]["quantita"] == 2 and rows[0]["id_riga"] != 0


# ---- warehouse movements


def delivery(conto: str, order_key: str, id_riga_orig: int, quantity, **fields) -> dict:
    sigla, serie, numero = order_key.split("+")
    return {
        "sigla": "BC", "serie": 1, "numero": 0, "cod_conto": conto, "data_documento": f"{YEAR}0120",
        "nr_tracking": "1Z999", "cod_vettore": "BRT", "dt_spedizione": f"{YEAR}0120", "ora_spedizione": "1030",
        "sigla_ordine": sigla, "serie_ordine": int(serie), "numero_ordine": int(numero), "data_ordine": f"{YEAR}0115",
        "id_riga": [[1, 0]], "tp_riga": [[1, "R"]], "codice_articolo": [[1, "ART001"]], "quantita": [[1, quantity]],
        "cod_iva": [[1, "22"]], "id_riga_orig": [[1, id_riga_orig]], **fields,
    }  # fmt: skip


def test_delivery_notes_evade_order_rows(standin):
    code = new_customer(standin)
    order_key = created_key(post(standin, "documenti/ordini-clienti", order(code)))
    article_row = dict(get(standin, f"documenti/ordini-clienti/{order_key}").json()["id_riga"])[2]
    key = created_key(post(standin, "documenti/movimenti-magazzino", delivery(code, order_key, article_row, 1)))
    assert key == f"BC+1+1+{code}"
    read = get(standin, f"documenti/movimenti-magazzino/{key}").json()
    assert (
        read["nr_tracking"] == "1Z999" and read["sigla_ordine"] == "OX" and read["id_riga_orig"] == [[1, article_row]]
    )
    assert get(standin, "documenti/movimenti-magazzino/BC+1+1?fields=nr_tracking").json() == {"nr_tracking": "1Z999"}
    too_much = post(standin, "documenti/movimenti-magazzino", delivery(code, order_key, article_row, 2))
    assert refused(too_much, f"Quantita' 2 oltre il residuo 1 della riga {article_row} dell'ordine {order_key}")
    assert post(standin, "documenti/movimenti-magazzino", delivery(code, order_key, article_row, 1)).status_code == 201
    found = search(
        standin, "documenti/movimenti-magazzino", [{"campo": "nr_tracking", "condizione": "=", "valore": "1Z999"}]
    )
    assert len(found.json()["dati"]) == 2
    rows = search(
        standin, "documenti/movimenti-magazzino/righe", [{"campo": "sigla_ordine", "condizione": "=", "valore": "OX"}]
    )
    assert [r["id_riga_orig"] for r in rows.json()["dati"]] == [article_row, article_row]
    missing = post(standin, "documenti/movimenti-magazzino", delivery(code, "OX+2+99", 1, 1))
    assert refused(missing, "Ordine OX+2+99 inesistente")
    assert standin.standin.count_movements(nr_tracking="1Z999") == 2


# ---- protocol: routes, errors, auth, limits, faults


def test_unknown_paths_and_methods_answer_404_without_body_and_unimplemented_501(standin):
    for method, path in (
        ("POST", "documenti/ordini-clienti/OX+1+1"),
        ("GET", "documenti/fatture"),
        ("PATCH", "clienti"),
    ):
        answer = requests.request(method, url(standin, path), headers=headers(), json={}, timeout=5)
        assert answer.status_code == 404 and answer.content == b""
    answer = requests.delete(url(standin, "clienti/501.00001"), headers=headers(), timeout=5)
    assert answer.status_code == 501 and "non implementato dallo stand-in" in detail(answer)


def test_error_body_carries_the_request(standin):
    error = post(standin, "clienti", {"codice": "501.00001", "ragione_sociale": "X", "privato": "S"}).json()["error"]
    assert error["response-code"] == 400 and error["request-method"] == "POST"
    assert error["request-uri"] == "/webapi/risorse/clienti" and error["request-id"]
    assert error["response-detail"] == "6001 - errore gestionale [Nome campo 'privato' non valido]"


def test_login_failures_lock_the_user(standin):
    for _ in range(3):
        answer = get(standin, "clienti/501.00001", password="bad")
        assert answer.status_code == 401 and detail(answer).startswith("2002 - ")
    locked = get(standin, "clienti/501.00001")
    assert locked.status_code == 401 and detail(locked).startswith("3002 - ")
    standin.standin.gate.unlock(USER)
    assert get(standin, "clienti/501.00001").status_code == 404
    assert get(standin, "clienti/501.00001", dominio="other").status_code == 401


def test_coordinates_are_required(standin):
    plain = {"Authorization": headers()["Authorization"]}
    missing = requests.get(url(standin, "articoli/ART001"), headers=plain, timeout=5)
    assert missing.status_code == 400 and detail(missing).startswith("1001 - ")
    assert get(standin, "articoli/ART001", azienda="NOPE").status_code == 400


def test_more_than_five_concurrent_requests_get_503(standin):
    standin.faults.update(latency_s=0.5)
    answers = []

    def call():
        answers.append(get(standin, "articoli/ART001"))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200] * 5 + [503] * 3
    assert all(detail(a).startswith("3002 - ") for a in answers if a.status_code == 503)


def test_transient_faults_burst_outage_and_drop_after_commit(standin):
    standin.faults.update(fail_503_next=2, fail_5001_next=1, fail_408_next=1)
    answers = [get(standin, "articoli/ART001") for _ in range(5)]
    assert [a.status_code for a in answers] == [503, 503, 500, 408, 200]
    assert detail(answers[2]).startswith("5001 - ")
    standin.faults.update(outage_s=0.3)
    with pytest.raises(requests.ConnectionError):
        get(standin, "articoli/ART001")
    time.sleep(0.35)
    code = new_customer(standin)
    standin.faults.update(drop_after_commit_next=1)
    with pytest.raises(requests.ConnectionError):
        post(standin, "documenti/ordini-clienti", order(code, rif_nr_attuale="DROPPED"))
    assert standin.standin.count_documents(rif_nr_attuale="DROPPED") == 1  # committed all the same
    standin.faults.update(drop_before_commit_next=1)
    with pytest.raises(requests.ConnectionError):
        post(standin, "documenti/ordini-clienti", order(code, rif_nr_attuale="LOST"))
    assert standin.standin.count_documents(rif_nr_attuale="LOST") == 0


def test_commit_late_is_found_only_by_a_later_search(standin):
    code = new_customer(standin)
    standin.faults.update(commit_late_next=1, commit_late_s=1.0)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.RequestException):
        post(standin, "documenti/ordini-clienti", order(code, rif_nr_attuale="LATE"), timeout=0.3)
    filters = [{"campo": "rif_nr_attuale", "condizione": "=", "valore": "LATE"}]
    assert search(standin, "documenti/ordini-clienti", filters).json()["dati"] == []
    time.sleep(max(0.0, 1.2 - (time.monotonic() - started)))
    assert [d["rif_nr_attuale"] for d in search(standin, "documenti/ordini-clienti", filters).json()["dati"]] == [
        "LATE"
    ]


def test_https_with_a_self_signed_certificate(tmp_path):
    cert, key = make_self_signed_cert(tmp_path / "tls")
    with running_standin(tmp_path / "data", auth=AUTH, tls=(cert, key)) as secure:
        assert secure.base_url.startswith("https://")
        assert (
            requests.get(url(secure, "articoli/ART001"), headers=headers(), verify=str(cert), timeout=5).status_code
            == 200
        )
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(url(secure, "articoli/ART001"), headers=headers(), timeout=5)


def test_data_persists_across_restarts(tmp_path):
    with running_standin(tmp_path, auth=AUTH) as first:
        new_customer(first, "501.00042", "Persistente")
    with running_standin(tmp_path, auth=AUTH) as second:
        assert second.standin.count_customers(ragione_sociale="Persistente") == 1


def test_catalogue_accepts_an_external_sku_list(tmp_path):
    standin = StandIn(tmp_path, catalogue_rows=[("SKU-X", "Prodotto X", "10.00")])
    assert standin.store.get("articoli", "codice = ?", ("SKU-X",))["alq_iva"] == "10"
    assert standin.store.get("articoli", "codice = ?", ("ARROTOND",))["alq_iva"] == "E15"
    standin.store.close()
    assert {row["codice"] for row in seed_rows()} >= {"SPEDSTD", "SPEDEXP", "SCSPED", "CONFREG", "PROMO", "ART001"}
    assert all(set(row) == {"codice", "descrizione", "alq_iva"} for row in seed_rows())


def test_command_line_server(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "sandbox.gestionale", "--port", str(port), "--data-dir", str(tmp_path),
               "--user", USER, "--password", PASSWORD, "--customer-auto"]  # fmt: skip
    process = subprocess.Popen(command, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/webapi/risorse/"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.1)
        created = requests.post(
            base + "clienti", json={"codice": "501.AUTO", "ragione_sociale": "X"}, headers=headers(), timeout=5
        )
        assert created.headers["Location"].endswith("/501.00001")
        assert requests.get(f"http://127.0.0.1:{port}/_sandbox/counts", timeout=5).json()["clienti"] == 1
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_rates_abroad_exemptions_and_currencies_with_their_totals_per_vat_code(standin):
    """An OC in pounds with German 19 %, French 5.5 %, reverse charge and the rounding exemption: the
    gestionale's VAT is per code on that code's net sum; an unknown exemption is refused."""
    code = new_customer(standin)
    rows = {"id_riga": [[i, 0] for i in range(1, 5)], "tp_riga": [[i, "R"] for i in range(1, 5)],
            "codice_articolo": [[i, "ART001"] for i in range(1, 5)], "quantita": [[1, 2], [2, 1], [3, 1], [4, 1]],
            "prezzo": [[1, 25.13], [2, 10.0], [3, 30.0], [4, 0.01]],
            "cod_iva": [[1, "19"], [2, "5.5"], [3, "N41"], [4, "E15"]]}
    body = order(code, sigla="OC", id_valuta=2, cambio_vlt_euro=0.85, **rows)
    key = created_key(post(standin, "documenti/ordini-clienti", body))
    totals = standin.standin.totals(key)
    assert totals["imponibile"] == {"19": Decimal("50.26"), "5.5": Decimal("10.00"), "N41": Decimal("30.00"),
                                    "E15": Decimal("0.01")}
    assert totals["imposta"] == {"19": Decimal("9.55"), "5.5": Decimal("0.55"), "N41": 0, "E15": 0}
    assert totals["totale_documento"] == Decimal("100.37")
    unknown = order(code, cod_iva=[[2, "N99"]], rif_nr_attuale="405-2")
    assert refused(post(standin, "documenti/ordini-clienti", unknown), "Aliquota IVA 'N99' inesistente")
