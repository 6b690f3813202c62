"""Rule: an order left "Incompleto da Logistica Amazon" is completed with the buyer's data (the command
``python -m amazon_passweb orders complete-afn``) or the account's placeholder customer, becomes
Registrato and reaches the gestionale with the account's next import; an account that gains an
``afn_placeholder_customer`` releases its waiting orders on its next run (domain.md §5).

Every order reaches its state through the import itself; the gestionale is the stand-in over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml
from importer_helpers import amazon_order, inbox_entry, last_message, site_counts, site_order

from amazon_passweb.__main__ import main
from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE, load_accounts
from amazon_passweb.site.states import InboxStatus, OrderState
from sandbox.stack import ROOT

PLACEHOLDER = "501.99999"
BUYER = ["--name", "Lucia Neri", "--line1", "Via Manzoni 4", "--postal-code", "20121", "--city", "Milano",
         "--province", "mi", "--country", "it", "--email", "lucia.neri@example.it"]


@pytest.fixture
def site_env(monkeypatch, site_url, pii_key):
    """The command's environment: the test's own site database (the connection wins over the URL)."""
    env = {"AIRFLOW_CONN_PASSWEB_SITE": json.dumps({"conn_type": "generic", "host": site_url}),
           "SITE_DATABASE_URL": site_url, "SITE_PII_KEY": pii_key}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def with_placeholder(tmp_path):
    """The accounts file after the administrator added it_main's placeholder customer."""
    raw = yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text())
    for account in raw["accounts"]:
        if account["id"] == "it_main":
            account["afn_placeholder_customer"] = PLACEHOLDER
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def complete(*args: str) -> int:
    return main(["orders", "complete-afn", *args])


def test_the_command_completes_an_order_that_then_reaches_the_gestionale_with_that_customer(
        importer, store, it_main, gestionale_db, site_env, pii_key):
    order = amazon_order(afn=True, no_buyer_data=True)
    importer.run([order])
    assert site_order(store, it_main, order.amazon_order_id).state is OrderState.INCOMPLETO_AFN

    # the real entry point, in its own process
    done = subprocess.run([sys.executable, "-m", "amazon_passweb", "orders", "complete-afn", "it_main",
                           order.amazon_order_id, *BUYER], env={**os.environ, **site_env}, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Completato: ordine sito" in done.stdout and "Registrato con nuovo cliente" in done.stdout
    assert "Lucia" not in done.stdout + done.stderr, "buyer data is not echoed"

    completed = site_order(store, it_main, order.amazon_order_id)
    assert completed.state is OrderState.REGISTRATO and completed.customer_id is not None
    assert inbox_entry(store, it_main, order.amazon_order_id).status is InboxStatus.IMPORTED
    assert "Completato da riga di comando" in last_message(store, it_main, order.amazon_order_id)
    assert gestionale_db.document(order.amazon_order_id) is None, "not before the next push"

    assert importer.run([], run_id="run-2")["pushed"] == 1
    stored = site_order(store, it_main, order.amazon_order_id)
    assert stored.state is OrderState.MEMORIZZATO
    document = gestionale_db.document(order.amazon_order_id)
    customer = gestionale_db.customer(document["cod_conto"])
    assert (customer["ragione_sociale"], customer["indirizzo"], customer["cap"], customer["localita"]) == (
        "Lucia Neri", "Via Manzoni 4", "20121", "Milano")
    assert customer["provincia"] == "MI" and customer["email"] == "lucia.neri@example.it"
    assert document["id_magazzino"] == it_main.warehouse_afn


def test_a_buyer_already_known_is_reused_by_the_import_identity_rules(importer, store, it_main, gestionale_db,
                                                                      site_env):
    known = amazon_order()  # an MFN order of the same buyer, imported before
    incomplete = amazon_order(afn=True, no_buyer_data=True)
    importer.run([known, incomplete])
    before = site_counts(store)
    buyer = site_order(store, it_main, known.amazon_order_id).customer_id

    address = known.delivery_address
    assert complete("it_main", incomplete.amazon_order_id, "--name", address.name, "--line1", address.lines[0],
                    "--postal-code", address.postal_code, "--city", address.city, "--province", "MI",
                    "--country", "IT", "--email", known.buyer.email) == 0

    assert site_order(store, it_main, incomplete.amazon_order_id).customer_id == buyer
    assert site_counts(store)["customers"] == before["customers"]
    importer.run([], run_id="run-2")
    assert (gestionale_db.document(incomplete.amazon_order_id)["cod_conto"]
            == gestionale_db.document(known.amazon_order_id)["cod_conto"])
    assert gestionale_db.counts()["clienti"] == 1


@pytest.mark.parametrize(("args", "reason"), [
    (["--name", "Lucia Neri", "--country", "IT"], "Dati incompleti: indica Indirizzo, CAP, Città, Provincia."),
    ([*BUYER[:9], "Milano città", *BUYER[10:]], "Provincia: indica la sigla di due lettere"),
    ([*BUYER[:5], "201", *BUYER[6:]], "CAP: per un indirizzo italiano servono 5 cifre"),
    ([*BUYER[:11], "Italia", *BUYER[12:]], "Paese: indica il codice ISO di due lettere"),
    ([*BUYER[:13], "lucia.neri"], "Email non valida"),
    (["--placeholder"], "non ha un cliente segnaposto (afn_placeholder_customer)"),
    (["--placeholder", "--name", "Lucia Neri"], "con --placeholder non si indicano i dati"),
])
def test_incomplete_or_wrong_data_is_refused_and_changes_nothing(importer, store, it_main, site_env, capsys,
                                                                 args, reason):
    order = amazon_order(afn=True, no_buyer_data=True)
    importer.run([order])
    before = site_counts(store)

    assert complete("it_main", order.amazon_order_id, *args) == 1
    refusal = capsys.readouterr().err
    assert refusal.startswith("Non completato:") and reason in refusal
    assert site_order(store, it_main, order.amazon_order_id).state is OrderState.INCOMPLETO_AFN
    assert site_counts(store) == before


def test_an_unknown_account_or_order_and_an_order_not_incomplete_are_refused(importer, store, it_main, site_env,
                                                                             capsys):
    complete_order = amazon_order()
    importer.run([complete_order])
    for args, reason in (
        (["nessuno", complete_order.amazon_order_id], "L'account «nessuno» non è nel file degli account"),
        (["it_main", "999-0000000-0000000"], "non è tra gli ordini sito di it_main"),
        (["it_main", complete_order.amazon_order_id], "è Memorizzato: solo un ordine Incompleto da Logistica"),
    ):
        assert complete(*args, *BUYER) == 1
        assert reason in capsys.readouterr().err
    assert site_order(store, it_main, complete_order.amazon_order_id).state is OrderState.MEMORIZZATO


def test_placeholder_added_later_releases_the_waiting_orders_on_the_next_run(
        importer, store, it_main, standin, gestionale_db, with_placeholder):
    standin.store.insert_customer({"codice": PLACEHOLDER, "ragione_sociale": "Clienti Amazon FBA"})
    waiting = [amazon_order(afn=True, no_buyer_data=True) for _ in range(2)]
    importer.run(waiting)
    assert {site_order(store, it_main, o.amazon_order_id).state for o in waiting} == {OrderState.INCOMPLETO_AFN}

    account = load_accounts(with_placeholder).account("it_main")  # the administrator changed the file
    counts = importer.run([], run_id="run-2", account=account)

    assert counts["afn_released"] == 2 and counts["pushed"] == 2
    for order in waiting:
        stored = site_order(store, it_main, order.amazon_order_id)
        assert stored.state is OrderState.MEMORIZZATO and stored.customer_id is None
        assert gestionale_db.document(order.amazon_order_id)["cod_conto"] == PLACEHOLDER
        assert inbox_entry(store, it_main, order.amazon_order_id).status is InboxStatus.IMPORTED
    assert gestionale_db.counts()["clienti"] == 1  # only the placeholder
    assert importer.run([], run_id="run-3", account=account)["afn_released"] == 0


def test_the_command_attaches_one_order_to_the_placeholder(importer, store, it_main, standin, gestionale_db,
                                                           site_env, with_placeholder, capsys):
    standin.store.insert_customer({"codice": PLACEHOLDER, "ragione_sociale": "Clienti Amazon FBA"})
    order = amazon_order(afn=True, no_buyer_data=True)
    importer.run([order])

    assert complete("it_main", order.amazon_order_id, "--placeholder", "--accounts-file", str(with_placeholder)) == 0
    assert f"cliente segnaposto {PLACEHOLDER}" in capsys.readouterr().out
    assert site_order(store, it_main, order.amazon_order_id).state is OrderState.REGISTRATO

    importer.run([], run_id="run-2", account=load_accounts(with_placeholder).account("it_main"))
    assert gestionale_db.document(order.amazon_order_id)["cod_conto"] == PLACEHOLDER
