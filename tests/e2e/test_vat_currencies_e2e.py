"""Issue #20 end to end through the real account DAG (`airflow dags test`): cross-border orders from the
Amazon stand-in reach the gestionale with the VAT Amazon charged on every row, in their currency, their
totals equal to Amazon's to the cent; an order to a country with no configured VAT fails alone, clearly."""

from __future__ import annotations

import email
import email.policy
import json
import sqlite3
from decimal import Decimal

import pytest
import yaml

from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE
from sandbox.amazon.cross_border import cross_border_orders
from sandbox.gestionale.totals import document_totals
from sandbox.stack import LocalStack
from tests.e2e.stack_queries import amazon_total, gestionale_documents, site_orders

pytestmark = pytest.mark.slow
DAG = "amazon_orders__it_main"
WINDOW = {"window_start": "2026-10-01T00:00:00+00:00"}
ALL_MARKETPLACES = ["APJ6JRA9NG5V4", "A1PA6795UKMFR9", "A13V1IB3VIYZZH", "A1RKKUPIHCS9HS", "A1F83G8C2ARO7P"]
VAT = {"codes": {"DE": {"19": "19", "7": "7"}, "FR": {"20": "20", "5.5": "5.5"}, "ES": {"21": "21", "10": "10"},
                 "GB": {"20": "20"}},
       "reverse_charge": "N41", "marketplace_facilitator": "N74", "rounding": "E15"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("vat")
    orders = cross_border_orders()
    orders_file = workdir / "orders.json"
    orders_file.write_text(json.dumps(orders))
    raw = yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text())
    raw["vat"], raw["currencies"] = VAT, {"GBP": 2, "PLN": 3, "SEK": 4}
    raw["accounts"] = [dict(raw["accounts"][0], marketplaces=ALL_MARKETPLACES, schedule="daily")]
    accounts_file = workdir / "accounts.yaml"
    accounts_file.write_text(yaml.safe_dump(raw))
    amazon_args = ["--orders", str(orders_file)]
    with LocalStack(workdir / "stack", accounts_file=accounts_file, amazon_args=amazon_args) as stack:
        from sandbox.demo import prepare_site

        prepare_site(stack)
        stack.migrate_airflow()
        result = stack.dags_test(DAG, conf=WINDOW)
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
        with sqlite3.connect(stack.site_db) as db:
            history = db.execute("SELECT amazon_order_id, message, detail FROM inbox_history").fetchall()
        documents = {d["rif_nr_attuale"]: d for d in gestionale_documents(stack)}
        mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in stack.mail.messages()]
        yield {o["orderId"]: o for o in orders}, site_orders(stack), documents, history, mails


def _codes(document: dict) -> list[str]:
    kinds = dict(map(tuple, document["tp_riga"]))
    return [code for index, code in document["cod_iva"] if kinds[index] == "R"]


def test_each_case_gets_the_vat_amazon_charged_and_amazons_total(run):
    orders, site, documents, _, _ = run
    by_case = {order_id[-1]: order_id for order_id in orders}
    expected = {
        "1": {"19"},  # Germany, B2C
        "2": {"5.5", "20"},  # France: a book at the reduced rate, the rest at 20 %
        "3": {"21"},  # Spain
        "4": {"N41"},  # an Amazon Business buyer with a German VAT number: reverse charge
        "5": {"20"},  # United Kingdom, in pounds
        "6": {"N74"},  # Amazon collects the tax: marketplace facilitator
        "8": {"22"},  # Italy, as always
    }
    for case, codes in expected.items():
        order_id = by_case[case]
        assert site[order_id]["state"] == "Memorizzato", (order_id, site[order_id])
        document = documents[order_id]
        assert set(_codes(document)) - {"E15"} == codes, (order_id, _codes(document))
        assert document_totals(document)["totale_documento"] == amazon_total(orders[order_id]), order_id
    assert documents[by_case["4"]]["sigla"] == "OC"  # the reverse-charge buyer is a company
    french = document_totals(documents[by_case["2"]])
    assert set(french["imposta"]) >= {"5.5", "20"}
    # the book (18.50) and the shipping that goes with it (5.90) at 5.5 %: 24.40 gross, 23.13 net + 1.27 VAT
    assert french["imposta"]["5.5"] == Decimal("1.27")
    for case in ("5", "6"):
        document = documents[by_case[case]]
        assert document["id_valuta"] == 2 and Decimal(str(document["cambio_vlt_euro"])) == Decimal("0.85")
    assert "id_valuta" not in documents[by_case["1"]] or not documents[by_case["1"]]["id_valuta"]


def test_an_unconfigured_country_fails_that_order_alone_with_a_clear_message(run):
    orders, site, documents, history, _ = run
    austrian = next(order_id for order_id in orders if order_id.endswith("7"))
    assert austrian not in site and austrian not in documents
    messages = [(message, detail) for order_id, message, detail in history if order_id == austrian]
    assert messages, history
    message, detail = messages[-1]
    assert "paese AT" in message and "aliquota 20 %" in message and "vat.codes" in message
    assert "delivered to AT" in detail


def test_the_report_shows_each_order_in_its_currency_and_sums_per_currency(run):
    orders, _, _, _, mails = run
    bodies = [m.get_body(("plain",)).get_content() for m in mails if "ordini@example.it" in m["To"]]
    assert len(bodies) == 1
    uk = next(o for order_id, o in orders.items() if order_id.endswith("5"))
    pounds = uk["proceeds"]["grandTotal"]["amount"].replace(".", ",")
    assert f"{pounds} GBP" in bodies[0]
    assert " EUR" in bodies[0]
