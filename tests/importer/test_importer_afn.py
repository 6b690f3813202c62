"""Rule: AFN orders without buyer data wait as "Incompleto da Logistica Amazon" and the administrator
is emailed, or go to the account's placeholder customer when it has one (domain.md §5)."""

from datetime import UTC, datetime

from importer_helpers import DE, IT, amazon_order, inbox_entry, read_emails, site_counts, site_order

from amazon_passweb.amazon.models import Address, AmazonOrder, Buyer
from amazon_passweb.importer.notify_run import send_run_report
from amazon_passweb.importer.window import Window
from amazon_passweb.notify.report import RunKind
from amazon_passweb.site.states import InboxStatus, OrderState

WINDOW = Window(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 31, tzinfo=UTC), RunKind.MANUAL)


def report(store, account, run_id, fetched):
    return send_run_report(store, account, run_id, WINDOW, None, WINDOW.end, fetched)


def test_an_afn_order_without_buyer_data_is_incomplete_and_the_administrator_is_emailed(
        importer, store, it_main, gestionale_db, mail_sink):
    assert it_main.afn_placeholder_customer is None
    incomplete = amazon_order(afn=True, no_buyer_data=True)
    complete = amazon_order()

    importer.run([incomplete, complete])
    sent = report(store, it_main, "run-1", fetched=2)

    site = site_order(store, it_main, incomplete.amazon_order_id)
    assert site.state is OrderState.INCOMPLETO_AFN and site.customer_id is None
    assert inbox_entry(store, it_main, incomplete.amazon_order_id).status is InboxStatus.INCOMPLETE
    assert gestionale_db.document(incomplete.amazon_order_id) is None
    assert gestionale_db.document(complete.amazon_order_id) is not None
    assert site_counts(store)["customers"] == 1

    assert "invio avviso AFN riuscito" in sent["email_status"]
    [notice] = [m for m in read_emails(mail_sink.directory) if m["To"] == "amministrazione@example.it"]
    assert "Incomplet" in notice["Subject"]
    body = notice.get_body(preferencelist=("plain",)).get_content()
    assert f"{incomplete.amazon_order_id} del " in body
    assert f"(ordine sito {site.sezionale}/{site.number})" in body
    assert complete.amazon_order_id not in body


def test_with_a_placeholder_customer_an_afn_order_without_buyer_data_goes_to_the_gestionale_under_it(
        importer, store, eu_de_fr, standin, gestionale_db, mail_sink):
    placeholder = eu_de_fr.afn_placeholder_customer
    assert placeholder == "503.99999"
    standin.store.insert_customer({"codice": placeholder, "ragione_sociale": "Clienti Amazon FBA"})
    order = amazon_order(afn=True, no_buyer_data=True, marketplace=DE)

    importer.run([order], account=eu_de_fr)
    report(store, eu_de_fr, "run-1", fetched=1)

    site = site_order(store, eu_de_fr, order.amazon_order_id)
    assert site.state is OrderState.MEMORIZZATO
    document = gestionale_db.document(order.amazon_order_id)
    assert (document["cod_conto"], document["id_magazzino"]) == (placeholder, eu_de_fr.warehouse_afn)
    assert site.gestionale_document_key == f"{document['sigla']}+{document['serie']}+{document['numero']}"
    assert gestionale_db.counts()["clienti"] == 1  # no customer was made up for the unknown buyer
    assert site_counts(store)["customers"] == 0
    recipients = [m["To"] for m in read_emails(mail_sink.directory)]
    assert "amministrazione@example.it" not in recipients
    assert recipients == ["export@example.it"]


def _afn_with_a_name_but_no_street(marketplace: str = IT) -> AmazonOrder:
    """As Amazon sends many AFN orders: the buyer's name, the city and postcode, no street."""
    return amazon_order(afn=True, marketplace=marketplace, buyer=Buyer(name="Mario Rossi"),
                        delivery=Address(name="Mario Rossi", city="Milano", postal_code="20121", country_code="IT"))


def test_an_afn_order_with_a_name_but_no_usable_address_is_incomplete_not_a_customer(
        importer, store, it_main, gestionale_db):
    assert it_main.afn_placeholder_customer is None
    order = _afn_with_a_name_but_no_street()

    importer.run([order])
    importer.run([], run_id="run-2")  # the next import neither fails it nor creates anything

    site = site_order(store, it_main, order.amazon_order_id)
    assert site.state is OrderState.INCOMPLETO_AFN and site.customer_id is None
    assert inbox_entry(store, it_main, order.amazon_order_id).status is InboxStatus.INCOMPLETE
    assert site_counts(store)["customers"] == 0 and site_counts(store)["addresses"] == 0
    assert gestionale_db.document(order.amazon_order_id) is None


def test_with_a_placeholder_an_afn_order_with_a_name_but_no_usable_address_goes_under_it(
        importer, store, eu_de_fr, standin, gestionale_db):
    placeholder = eu_de_fr.afn_placeholder_customer
    standin.store.insert_customer({"codice": placeholder, "ragione_sociale": "Clienti Amazon FBA"})
    order = _afn_with_a_name_but_no_street(DE)

    importer.run([order], account=eu_de_fr)

    site = site_order(store, eu_de_fr, order.amazon_order_id)
    assert site.state is OrderState.MEMORIZZATO and site.customer_id is None
    assert gestionale_db.document(order.amazon_order_id)["cod_conto"] == placeholder
    assert site_counts(store)["customers"] == 0
    assert gestionale_db.counts()["clienti"] == 1  # only the placeholder
