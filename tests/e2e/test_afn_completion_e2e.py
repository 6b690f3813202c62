"""Incomplete AFN orders leave their dead end, through the real account DAG (`airflow dags test`) and both
stand-ins as processes: one is completed with the command and reaches the gestionale with the next run,
under the customer given; then the administrator adds a placeholder customer to the accounts file and
the following run releases every order still waiting and stores it under the placeholder."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest
import yaml

from sandbox.demo import create_placeholder_customers
from sandbox.stack import GESTIONALE, ROOT
from tests.e2e.stack_queries import gestionale_documents, site_orders

pytestmark = pytest.mark.slow
DAG = "amazon_orders__it_main"
WINDOW = {"window_start": "2026-10-01T00:00:00+00:00"}
INCOMPLETE = "Incompleto da Logistica Amazon"
PLACEHOLDER = "501.99999"


def _run(stack) -> None:
    result = stack.dags_test(DAG, conf=WINDOW)
    assert result.returncode == 0 and "state=success" in result.stdout + result.stderr, (
        result.stdout + result.stderr)[-3000:]


def _incomplete(stack) -> list[str]:
    return sorted(oid for oid, row in site_orders(stack).items() if row["state"] == INCOMPLETE)


def _documents(stack) -> dict[str, dict]:
    return {document["rif_nr_attuale"]: document for document in gestionale_documents(stack)}


def _gestionale_customer(stack, code: str) -> dict:
    with sqlite3.connect(stack.workdir / "gestionale" / "gestionale.sqlite3") as db:
        (data,) = db.execute("SELECT data FROM clienti WHERE codice = ?", (code,)).fetchone()
    return json.loads(data)


def _gestionale_client(stack):
    from amazon_passweb.gestionale.client import GestionaleClient
    from amazon_passweb.gestionale.settings import WebApiSettings

    return GestionaleClient(WebApiSettings(
        base_url=f"http://127.0.0.1:{stack.gestionale_port}/webapi/", user=GESTIONALE["user"],
        password=GESTIONALE["password"], dominio=GESTIONALE["dominio"], azienda=GESTIONALE["azienda"]))


def test_completed_by_command_then_released_by_a_placeholder_added_later(stack, accounts_file):
    stack.migrate_airflow()
    _run(stack)
    waiting = _incomplete(stack)
    assert len(waiting) >= 2, "the generated orders include AFN orders without buyer data"
    assert not set(waiting) & set(_documents(stack))

    completed, *rest = waiting
    done = subprocess.run(
        [sys.executable, "-m", "amazon_passweb", "orders", "complete-afn", "it_main", completed,
         "--name", "Lucia Neri", "--line1", "Via Manzoni 4", "--postal-code", "20121", "--city", "Milano",
         "--province", "MI", "--country", "IT"],
        env=stack.airflow_env(), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert site_orders(stack)[completed]["state"] == "Registrato"

    _run(stack)
    documents = _documents(stack)
    assert site_orders(stack)[completed]["state"] == "Memorizzato"
    customer = _gestionale_customer(stack, documents[completed]["cod_conto"])
    assert (customer["ragione_sociale"], customer["indirizzo"], customer["localita"]) == (
        "Lucia Neri", "Via Manzoni 4", "Milano")
    assert _incomplete(stack) == rest, "the others still wait: it_main has no placeholder yet"

    raw = yaml.safe_load(accounts_file.read_text())  # the administrator adds the placeholder customer
    next(a for a in raw["accounts"] if a["id"] == "it_main")["afn_placeholder_customer"] = PLACEHOLDER
    accounts_file.write_text(yaml.safe_dump(raw))
    assert PLACEHOLDER in create_placeholder_customers(stack, _gestionale_client(stack))

    _run(stack)
    documents = _documents(stack)
    assert _incomplete(stack) == []
    for order_id in rest:
        assert site_orders(stack)[order_id]["state"] == "Memorizzato"
        assert documents[order_id]["cod_conto"] == PLACEHOLDER
    assert documents[completed]["cod_conto"] != PLACEHOLDER
    references = [document["rif_nr_attuale"] for document in gestionale_documents(stack)]
    assert len(references) == len(set(references)), "no order has two documents"
