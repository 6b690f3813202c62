"""Each request the old stand-in wrongly accepted now gets the refusal a real Mexal gives."""

from __future__ import annotations

import requests
from standin_http import get, headers, new_customer, order, post, refused, search


def test_documents_outside_risorse_are_404_without_body(standin):
    code = new_customer(standin)
    answer = requests.post(
        standin.base_url + "documenti/ordini-clienti", json=order(code), headers=headers(), timeout=5
    )
    assert answer.status_code == 404 and answer.content == b""
    assert standin.standin.count_documents() == 0


def test_customer_fields_privato_and_nazione_do_not_exist(standin):
    base = {"codice": "501.00001", "ragione_sociale": "Mario Rossi"}
    assert refused(post(standin, "clienti", {**base, "privato": True}), "Nome campo 'privato' non valido")
    assert refused(post(standin, "clienti", {**base, "nazione": "IT"}), "Nome campo 'nazione' non valido")
    assert standin.standin.count_customers() == 0


def test_address_fields_ragione_sociale_and_nazione_do_not_exist(standin):
    code = new_customer(standin)
    base = {"cod_conto": code, "indirizzo": "Via Po 1"}
    assert refused(
        post(standin, "indirizzi-spedizione", {**base, "ragione_sociale": "Luca"}),
        "Nome campo 'ragione_sociale' non valido",
    )
    assert refused(post(standin, "indirizzi-spedizione", {**base, "nazione": "IT"}), "Nome campo 'nazione' non valido")
    assert standin.standin.count_addresses() == 0


def test_article_reads_have_no_cod_iva_or_spesa(standin):
    article = get(standin, "articoli/SPEDSTD").json()
    assert "cod_iva" not in article and "spesa" not in article and article["alq_iva"] == " 22,0"
    assert refused(get(standin, "articoli/SPEDSTD?fields=cod_iva"), "Nome campo 'cod_iva' non valido")
    assert refused(get(standin, "articoli/SPEDSTD?fields=spesa"), "Nome campo 'spesa' non valido")


def test_ricerca_takes_max_fields_next_only_in_the_query_string(standin):
    filters = [{"campo": "codice", "condizione": "=", "valore": "SPEDSTD"}]
    for key, value in (("max", 10), ("fields", ["codice"]), ("next", "100")):
        answer = post(standin, "articoli/ricerca", {"filtri": filters, key: value})
        assert refused(answer, f"Parametro '{key}' non valido nel body della ricerca")


def test_ricerca_needs_at_least_one_filter(standin):
    assert refused(post(standin, "articoli/ricerca", {"filtri": []}), "Indicare almeno un filtro in 'filtri'")
    assert refused(post(standin, "articoli/ricerca", {}), "Indicare almeno un filtro in 'filtri'")
    assert search(standin, "articoli", [{"campo": "codice", "condizione": "=", "valore": "SPEDSTD"}]).status_code == 200


def test_documents_have_no_total_fields(standin):
    code = new_customer(standin)
    for name in ("totale_documento", "totale_imponibile", "totale_imposta"):
        answer = post(standin, "documenti/ordini-clienti", order(code, **{name: 24.4}))
        assert refused(answer, f"Nome campo '{name}' non valido")
    assert standin.standin.count_documents() == 0
