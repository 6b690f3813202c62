"""Rule: the run's report email lists exactly the run's orders with their outcomes, and no buyer data."""

import csv
import io
from datetime import UTC, datetime

from importer_helpers import (
    address,
    amazon_order,
    decoded_text,
    item,
    newer_version,
    private_buyer,
    read_emails,
    site_order,
)

from amazon_passweb.config import AmazonStatus
from amazon_passweb.importer.notify_run import send_run_report
from amazon_passweb.importer.window import Window
from amazon_passweb.notify.report import RunKind

WINDOW = Window(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 31, tzinfo=UTC), RunKind.MANUAL)
NAME, EMAIL = "Zebedeo Quagliarella", "zq.7781@marketplace.amazon.it"
STREET, PHONE = "Via dei Tortellini Volanti 17", "+39 333 7654321"
PERSONAL_DATA = ("Quagliarella", "zq.7781", "Tortellini", "7654321")


def buyer_orders(lines=(), **options):
    """An order of the one buyer whose personal data must stay out of the email."""
    return amazon_order(*lines, buyer=private_buyer(NAME, EMAIL),
                        delivery=address(NAME, STREET, "40121", "Bologna", phone=PHONE), **options)


def csv_rows(message):
    [attachment] = [part for part in message.iter_attachments() if part.get_filename().endswith(".csv")]
    text = attachment.get_content()
    text = text.decode("utf-8-sig") if isinstance(text, bytes) else text.lstrip("\ufeff")
    header, *rows = csv.reader(io.StringIO(text), delimiter=";")
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_the_report_email_lists_exactly_the_runs_orders_and_no_buyer_data(importer, store, it_main,
                                                                           gestionale_db, mail_sink):
    earlier = amazon_order()
    importer.run([earlier], run_id="run-0")
    pushed = buyer_orders()
    skipped = buyer_orders(status=AmazonStatus.CANCELLED)
    failed = buyer_orders(lines=(item("NOPE-5"),))
    incomplete = amazon_order(afn=True, no_buyer_data=True)

    importer.run([earlier, pushed, skipped, failed, incomplete], run_id="run-1")  # earlier: seen again
    send_run_report(store, it_main, "run-1", WINDOW, None, WINDOW.end, fetched=5)

    [message] = [m for m in read_emails(mail_sink.directory) if m["To"] == "ordini@example.it"]
    rows = {row["Ordine Amazon"]: row for row in csv_rows(message)}
    assert {order_id: row["Esito"] for order_id, row in rows.items()} == {
        pushed.amazon_order_id: "Memorizzato nel gestionale",
        skipped.amazon_order_id: "Scartato",
        failed.amazon_order_id: "Errore",
        incomplete.amazon_order_id: "Incompleto da Logistica Amazon",
    }
    site = site_order(store, it_main, pushed.amazon_order_id)
    document = gestionale_db.document(pushed.amazon_order_id)
    assert rows[pushed.amazon_order_id] == {
        "Ordine Amazon": pushed.amazon_order_id,
        "Data ordine Amazon (ora italiana)": "2026-10-05 11:30:00",  # 09:30 UTC
        "Esito": "Memorizzato nel gestionale",
        "N. ordine sito": f"{site.sezionale}/{site.number}",
        "Documento gestionale": f"{document['sigla']}+{document['serie']}+{document['numero']}",
        "Codice cliente": document["cod_conto"],
        "Cliente": "nuovo",
        "Indirizzo": "nuovo",
        "Totale": f"{pushed.order_total:.2f}".replace(".", ","),
        "Valuta": "EUR",
        "Motivo": "",
        "Dettaglio tecnico": "",
    }
    assert rows[failed.amazon_order_id]["Motivo"].startswith("SKU «NOPE-5» (ASIN") and "non collegato" in rows[
        failed.amazon_order_id]["Motivo"]
    assert "'NOPE-5'" in rows[failed.amazon_order_id]["Dettaglio tecnico"]  # the English detail, its own column
    assert rows[skipped.amazon_order_id]["Motivo"].startswith("Stato Amazon CANCELLED non tra gli stati importati")
    assert "Incompleto da Logistica Amazon: Amazon non fornisce" in rows[incomplete.amazon_order_id]["Motivo"]

    content = decoded_text(message)
    assert pushed.amazon_order_id in content
    for body in (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()):
        assert "non collegato a un articolo" in body and "is not mapped" not in body  # the bodies: Italian only
    for personal in PERSONAL_DATA:
        assert personal.lower() not in content.lower(), personal


def test_a_run_that_only_sees_orders_already_in_the_site_again_reports_nothing_created(importer, store,
                                                                                        it_main, mail_sink):
    incomplete, imported = amazon_order(afn=True, no_buyer_data=True), amazon_order()
    importer.run([incomplete, imported], run_id="run-1")
    send_run_report(store, it_main, "run-1", WINDOW, None, WINDOW.end, fetched=2)
    first_emails = len(read_emails(mail_sink.directory))
    assert first_emails == 2  # the report and the administrator's notice

    shipped = [newer_version(o, status=AmazonStatus.SHIPPED) for o in (incomplete, imported)]
    second = importer.run(shipped, run_id="run-2")
    sent = send_run_report(store, it_main, "run-2", WINDOW, WINDOW.end, WINDOW.end, fetched=2)

    assert second["created"] == 0
    assert (sent["report_created"], sent["report_incomplete"], sent["report_skipped"]) == (0, 0, 1)
    assert len(read_emails(mail_sink.directory)) == first_emails  # nothing to tell anybody
