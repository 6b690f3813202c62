"""«Completa ordine» on the orders page: an order the import left Incompleto da Logistica Amazon is completed
with the buyer's data (or the account's placeholder customer) and reaches the gestionale stand-in with the
next push; refusals are explained in Italian with the form kept; the same rights as the other changes."""

from __future__ import annotations

import pytest
import yaml

from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE, load_accounts
from amazon_passweb.importer.pipeline import AccountImport
from amazon_passweb.site.states import OrderState
from sandbox.gestionale.catalogue import seed_site_articles
from tests.importer.importer_helpers import GestionaleDb, amazon_order
from tests.ui.conftest import HOST, token_for

ORIGIN = {"Origin": f"http://{HOST}"}
INCOMPLETE = OrderState.INCOMPLETO_AFN.value
PLACEHOLDER = "501.99999"
BUYER = {"name": "Lucia Neri", "line1": "Via Manzoni 4", "postal_code": "20121", "city": "Milano",
         "province": "MI", "country": "IT", "email": "lucia.neri@example.it"}


def import_orders(store, client, orders, account_id="it_main", run_id="run-1"):
    """The orders through the import the DAG runs (fetch → push), as Amazon sent them."""
    return AccountImport(store, load_accounts().account(account_id), run_id).run([list(orders)], client)


@pytest.fixture
def incomplete(store, gestionale_client):
    seed_site_articles(store)
    order, complete = amazon_order(afn=True, no_buyer_data=True), amazon_order()
    import_orders(store, gestionale_client, [order, complete])
    return order.amazon_order_id


@pytest.fixture
def operator(client, admin_cookie):
    client.cookies.update(admin_cookie)
    return client


def _order(store, amazon_order_id, account="it_main"):
    with store.unit_of_work(read_only=True) as uow:
        return uow.orders.find(account, amazon_order_id)


def _complete(operator, amazon_order_id, **fields):
    return operator.post("/orders/complete-afn", headers=ORIGIN,
                         data={"account": "it_main", "amazon_order_id": amazon_order_id, **fields})


def test_the_page_offers_completion_only_for_incomplete_orders(operator, incomplete):
    html = operator.get("/orders").text
    assert html.count('data-action="complete-afn"') == 1
    row = html[html.index(f'<tr data-order="{incomplete}"'):]
    assert 'data-action="complete-afn"' in row[:row.index("</tr>")]
    assert "Usa il cliente segnaposto" not in html  # it_main has none


def test_completed_from_the_page_the_order_reaches_the_gestionale_with_that_customer(
        operator, store, incomplete, gestionale_client, gestionale_standin):
    answer = _complete(operator, incomplete, **BUYER)
    assert answer.status_code == 200
    assert "Completato: ordine sito" in answer.text and "Registrato con i dati dell&#39;acquirente" in answer.text
    assert "Lucia" not in answer.text, "the buyer's data is not shown back"
    order = _order(store, incomplete)
    assert order.state is OrderState.REGISTRATO and order.customer_id is not None
    with store.unit_of_work(read_only=True) as uow:
        assert "Completato da admin" in uow.inbox.history("it_main", incomplete)[-1].message

    assert AccountImport(store, load_accounts().account("it_main"), "run-2").push(gestionale_client)["pushed"] == 1
    assert _order(store, incomplete).state is OrderState.MEMORIZZATO
    gestionale = GestionaleDb(gestionale_standin.store.path)
    customer = gestionale.customer(gestionale.document(incomplete)["cod_conto"])
    assert (customer["ragione_sociale"], customer["indirizzo"], customer["localita"]) == (
        "Lucia Neri", "Via Manzoni 4", "Milano")


@pytest.mark.parametrize(("change", "reason"), [
    ({"line1": " ", "city": ""}, "Dati incompleti: indica Indirizzo, Città."),
    ({"province": "Milano"}, "Provincia: indica la sigla di due lettere"),
    ({"email": "lucia<script>"}, "Email non valida"),
    ({"placeholder": "1"}, "non ha un cliente segnaposto"),
])
def test_a_refusal_is_explained_and_the_form_kept(operator, store, incomplete, change, reason):
    answer = _complete(operator, incomplete, **{**BUYER, **change})
    assert answer.status_code == 422
    assert "Non completato:" in answer.text and reason in answer.text
    assert 'value="Via Manzoni 4"' in answer.text or "line1" in change, "what the operator typed stays"
    assert '<details class="complete-afn" data-action="complete-afn" open>' in answer.text
    assert "lucia<script>" not in answer.text  # what the operator typed is escaped when shown back
    assert _order(store, incomplete).state is OrderState.INCOMPLETO_AFN


def test_an_order_not_incomplete_or_unknown_is_refused(operator, store, incomplete):
    assert _complete(operator, incomplete, **BUYER).status_code == 200
    again = _complete(operator, incomplete, **BUYER)
    assert again.status_code == 422 and "è Registrato: solo un ordine Incompleto" in again.text
    unknown = _complete(operator, "999-0000000-0000000", **BUYER)
    assert unknown.status_code == 422 and "non è tra gli ordini sito di it_main" in unknown.text


def test_the_placeholder_added_later_is_offered_and_used(operator, store, incomplete, services, tmp_path):
    raw = yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text())
    next(a for a in raw["accounts"] if a["id"] == "it_main")["afn_placeholder_customer"] = PLACEHOLDER
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(raw))
    services.accounts = lambda: load_accounts(path)

    assert f"Usa il cliente segnaposto {PLACEHOLDER}" in operator.get("/orders").text
    answer = _complete(operator, incomplete, placeholder="1")
    assert answer.status_code == 200 and f"con il cliente segnaposto {PLACEHOLDER}" in answer.text
    order = _order(store, incomplete)
    assert order.state is OrderState.REGISTRATO and order.customer_id is None


def test_a_change_from_another_site_or_without_rights_is_refused(client, auth_manager, airflow, store, incomplete):
    client.cookies.update({"_token": token_for(auth_manager, "admin")})
    for headers in ({}, {"Origin": "http://evil.test"}):
        assert client.post("/orders/complete-afn", headers=headers,
                           data={"account": "it_main", "amazon_order_id": incomplete, **BUYER}).status_code == 403
    airflow.readers_only.add("lettore")
    client.cookies.update({"_token": token_for(auth_manager, "lettore")})
    assert 'data-action="complete-afn"' not in client.get("/orders").text
    assert _complete(client, incomplete, **BUYER).status_code == 403
    client.cookies.clear()
    assert _complete(client, incomplete, **BUYER).status_code == 401
    assert _order(store, incomplete).state is OrderState.INCOMPLETO_AFN
