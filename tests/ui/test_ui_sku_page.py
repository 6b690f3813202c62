"""The «Articoli Amazon» page: SKU → article with per-level spesa articles, checked against the site's articles,
behind Airflow's authentication, the same-origin rule for changes and the right to edit the account's DAG."""

from __future__ import annotations

import pytest

from amazon_passweb.site.records import SkuMappingRecord
from tests.ui.conftest import HOST, token_for

ORIGIN = {"Origin": f"http://{HOST}"}
LAMP = {
    "account": "it_main",
    "seller_sku": "AMZ-LAMP-01",
    "article_code": "ART007",
    "shipping_standard": "SPEDVOL",
    "shipping_express": "SPEDVOLX",
}


@pytest.fixture
def operator(client, admin_cookie, store):
    with store.unit_of_work() as uow:
        uow.articles.upsert("ART007", "Lampada", "22")
        uow.articles.upsert("SPEDVOL", "Spedizione voluminosa", "22", is_spesa=True)
        uow.articles.upsert("SPEDVOLX", "Spedizione voluminosa espressa", "22", is_spesa=True)
    client.cookies.update(admin_cookie)
    return client


def _mappings(store, account="it_main"):
    with store.unit_of_work(read_only=True) as uow:
        return uow.articles.sku_mappings(account)


def test_a_mapping_is_saved_and_listed(operator, store):
    assert "Nessuno SKU associato" in operator.get("/sku?account=it_main").text
    answer = operator.post("/sku", data=LAMP, headers=ORIGIN)
    assert answer.status_code == 200
    assert "Salvato: AMZ-LAMP-01 → ART007 per it_main." in answer.text
    assert _mappings(store) == [SkuMappingRecord("it_main", "AMZ-LAMP-01", "ART007", "SPEDVOL", "SPEDVOLX")]
    page = operator.get("/sku?account=it_main").text
    assert '<tr data-sku="AMZ-LAMP-01">' in page and "SPEDVOLX" in page
    assert "AMZ-LAMP-01" not in operator.get("/sku?account=eu_de_fr").text


def test_a_mapping_for_every_account(operator, store):
    assert (
        operator.post("/sku", data={**LAMP, "account": "*", "shipping_express": ""}, headers=ORIGIN).status_code == 200
    )
    assert _mappings(store, "*") == [SkuMappingRecord("*", "AMZ-LAMP-01", "ART007", "SPEDVOL", None)]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"article_code": "NOPE<script>"}, "L&#39;articolo «NOPE&lt;script&gt;» non è tra gli articoli del sito"),
        ({"shipping_express": "ART007"}, "«ART007» indicato per la spedizione espressa non è un articolo di spesa"),
    ],
)
def test_a_refused_mapping_is_explained_and_the_form_kept(operator, store, change, reason):
    answer = operator.post("/sku", data={**LAMP, **change}, headers=ORIGIN)
    assert answer.status_code == 422
    assert "Non salvato: L" in answer.text and reason in answer.text
    assert 'value="AMZ-LAMP-01"' in answer.text, "what the operator typed stays in the form"
    assert _mappings(store) == []


def test_an_account_not_in_the_file_is_refused(operator, store):
    answer = operator.post("/sku", data={**LAMP, "account": "nessuno"}, headers=ORIGIN)
    assert answer.status_code == 422 and "L&#39;account «nessuno» non è nel file degli account" in answer.text
    assert "Nessuno SKU associato" in operator.get("/sku?account=nessuno").text  # shows the first account instead
    assert _mappings(store, "nessuno") == []


def test_a_change_from_another_site_is_refused(operator, store):
    for headers in ({}, {"Origin": "http://evil.test"}):
        assert operator.post("/sku", data=LAMP, headers=headers).status_code == 403
    assert _mappings(store) == []


def test_a_reader_sees_the_mappings_but_cannot_change_them(client, auth_manager, airflow, store):
    airflow.readers_only.add("lettore")
    client.cookies.update({"_token": token_for(auth_manager, "lettore")})
    page = client.get("/sku?account=it_main")
    assert page.status_code == 200 and "disabled" in page.text
    assert client.post("/sku", data=LAMP, headers=ORIGIN).status_code == 403
    assert _mappings(store) == []
