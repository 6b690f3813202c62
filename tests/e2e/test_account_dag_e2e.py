"""One account's DAG end to end with `airflow dags test`: Amazon stand-in → site → gestionale → email."""

from __future__ import annotations

import csv
import email
import email.policy
import io
from decimal import Decimal

import pytest

from amazon_passweb.config import load_accounts
from sandbox.gestionale.totals import document_totals
from tests.e2e.conftest import ORDERS, SEED
from tests.e2e.stack_queries import amazon_total, generated_orders, gestionale_documents, site_orders

pytestmark = pytest.mark.slow
DAG = "amazon_orders__it_main"
WINDOW = {"window_start": "2026-10-01T00:00:00+00:00"}


@pytest.fixture(scope="module")
def first_run(stack):
    stack.migrate_airflow()
    result = stack.dags_test(DAG, conf=WINDOW)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "state=success" in result.stdout + result.stderr
    return result


def _expected(accounts_file):
    account = load_accounts(accounts_file).account("it_main")
    statuses = {status.value for status in account.order_statuses}
    mine = [o for o in generated_orders(ORDERS, SEED) if o["salesChannel"]["marketplaceId"] in account.marketplaces]
    wanted = {o["orderId"]: o for o in mine if o["fulfillment"]["fulfillmentStatus"] in statuses}
    others = {o["orderId"] for o in mine} - set(wanted)
    return wanted, others


def test_every_wanted_order_reaches_site_and_gestionale_once_with_equal_totals(first_run, stack, accounts_file):
    wanted, others = _expected(accounts_file)
    site = site_orders(stack)
    documents = gestionale_documents(stack)
    by_reference = {}
    for document in documents:
        by_reference.setdefault(document["rif_nr_attuale"], []).append(document)

    assert set(site) == set(wanted), "exactly the orders in a configured status have a site order"
    assert not set(site) & others and not set(by_reference) & others
    assert all(len(docs) == 1 for docs in by_reference.values()), "no order has two documents"
    incomplete = {oid for oid, row in site.items() if row["state"] == "Incompleto da Logistica Amazon"}
    stored = {oid for oid, row in site.items() if row["state"] == "Memorizzato"}
    assert stored | incomplete == set(wanted)
    assert set(by_reference) == stored, "every stored order has its document, incomplete AFN orders none"
    assert incomplete and all(wanted[oid]["fulfillment"]["fulfilledBy"] == "AMAZON" for oid in incomplete)
    for oid in stored:
        document = by_reference[oid][0]
        # documents carry no totals: the gestionale computes them from the rows (the stand-in's own rules)
        assert document_totals(document)["totale_documento"] == amazon_total(wanted[oid]), oid
        assert Decimal(site[oid]["total_gross"]) == amazon_total(wanted[oid]), oid
        assert site[oid]["gestionale_document_key"] == f"{document['sigla']}+{document['serie']}+{document['numero']}"


def test_report_email_lists_exactly_the_imported_orders(first_run, stack, accounts_file):
    wanted, _ = _expected(accounts_file)
    account = load_accounts(accounts_file).account("it_main")
    reports = [m for m in (email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                           for p in stack.mail.messages()) if set(account.notification_emails) <= {m["To"]}]
    assert len(reports) == 1
    attachment = next(part for part in reports[0].iter_attachments() if part.get_filename().endswith(".csv"))
    text = attachment.get_content()
    text = text.decode("utf-8-sig") if isinstance(text, bytes) else text.lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    listed = {row[0] for row in rows[1:]}
    imported = {oid for oid in listed if oid in wanted}
    assert imported == set(wanted)
    body = reports[0].get_body(("plain",)).get_content()
    for order in list(wanted.values())[:20]:
        buyer_email = (order.get("buyer") or {}).get("buyerEmail")
        if buyer_email:
            assert buyer_email not in body and buyer_email not in text


def test_second_run_imports_nothing_new(first_run, stack):
    before_site = site_orders(stack)
    before_documents = len(gestionale_documents(stack))
    mails_before = len(stack.mail.messages())
    result = stack.dags_test(DAG, conf=WINDOW)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert site_orders(stack) == before_site
    assert len(gestionale_documents(stack)) == before_documents
    assert len(stack.mail.messages()) == mails_before, "nothing imported and no error: no email"
