"""A v0 account imports the same gestionale documents as a v2026-01-01 account.

The demo's 300 generated orders (``make demo``: seed 7) are imported twice, each time into a
fresh site store and a fresh gestionale stand-in, through the account DAG's steps in process:
Amazon stand-in over HTTP -> OrdersClient (v2026-01-01, then v0) -> inbox -> selection ->
reconciliation -> site orders -> push. The documents the two gestionali hold must be the same,
apart from what each gestionale numbers or stamps on its own: the document number, the customer
code (compared through the customer record it points to instead), the shipping address id, and
the times the gestionale records (creation and last change).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from amazon_passweb.config import load_accounts
from sandbox.amazon.generate import generate_orders
from tests.fixtures.stores import open_seeded_store
from tests.reliability.conftest import gestionale_client_for, gestionale_standin_in
from tests.reliability.hostile_pipeline import API_VERSIONS, V0, run_import

ACCOUNT = load_accounts().account("it_main")
DEMO_ORDERS, DEMO_SEED = 300, 7  # sandbox/demo.py's defaults
GESTIONALE_STAMPS = {"data_ult_mod", "data_creazione", "ora_creazione", "dt_var_sistema", "ora_var_sistema"}
GESTIONALE_NUMBERING = {"numero", "cod_conto", "id_ind_sped"} | GESTIONALE_STAMPS
CUSTOMER_NUMBERING = {"codice"} | GESTIONALE_STAMPS


def _rows(path: Path, sql: str) -> list[dict]:
    with sqlite3.connect(path) as connection:
        return [json.loads(data) for (data,) in connection.execute(sql)]


def held_documents(path: Path) -> dict[str, dict]:
    """Amazon order id -> the document as the gestionale holds it, its own numbering left out and
    its customer replaced by that customer's record (less the customer code)."""
    customers = {c["codice"]: c for c in _rows(path, "SELECT data FROM clienti")}
    documents = {}
    for document in _rows(path, "SELECT data FROM documenti"):
        customer = {k: v for k, v in customers[document["cod_conto"]].items() if k not in CUSTOMER_NUMBERING}
        kept = {k: v for k, v in document.items() if k not in GESTIONALE_NUMBERING}
        documents[document["rif_nr_attuale"]] = kept | {"customer": customer}
    return documents


@pytest.fixture(scope="module")
def imports(tmp_path_factory, pii_key) -> dict[str, tuple[dict[str, dict], object]]:
    orders = generate_orders(DEMO_ORDERS, seed=DEMO_SEED)
    result = {}
    for api_version in API_VERSIONS:
        store = open_seeded_store(f"sqlite:///{tmp_path_factory.mktemp('site') / 'site.db'}", pii_key)
        with gestionale_standin_in(tmp_path_factory.mktemp("gestionale")) as gestionale:
            run = run_import(orders, store, ACCOUNT, gestionale_client_for(gestionale), api_version=api_version)
            result[api_version] = (held_documents(gestionale.store.path), run)
        store.dispose()
    return result


def test_a_v0_account_imports_the_same_documents_as_a_v2026_account(imports):
    (new, new_run), (old, old_run) = (imports[v] for v in API_VERSIONS)
    assert new_run.counts == old_run.counts
    assert new_run.calls["searchOrders"] and old_run.calls["getOrderItems"] == new_run.counts["fetched"]
    print(f"documents: {len(new)}; v2026 calls {new_run.calls}; v0 calls {old_run.calls}")
    assert len(new) >= 100, "most of the demo's it_main orders reach the gestionale"
    assert sorted(new) == sorted(old)
    for order_id, document in new.items():
        assert old[order_id] == document, order_id


def test_the_two_imports_are_read_through_different_versions(imports):
    assert not imports[V0][1].calls.get("searchOrders") and imports[V0][1].calls["getOrders"]
