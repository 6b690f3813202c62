"""The CSV attachment: every order the run saw, one row each, ready for an Italian Excel.

"Motivo" is the operator's Italian reason; "Dettaglio tecnico", the last column, the technical
detail behind it (an exception's text, the gestionale's answer) for whoever investigates.

Semicolon separator and decimal comma, as Excel expects with Italian regional
settings; UTF-8 with a byte-order mark so accents and emoji survive the opening.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from amazon_passweb.notify.formatting import ROME, as_utc
from amazon_passweb.notify.report import ImportReport, OrderLine
from amazon_passweb.notify.sanitize import clean_text, guard_csv_cell, safe_filename_part

HEADER = (
    "Ordine Amazon",
    "Data ordine Amazon (ora italiana)",
    "Esito",
    "N. ordine sito",
    "Documento gestionale",
    "Codice cliente",
    "Cliente",
    "Indirizzo",
    "Totale",
    "Valuta",
    "Motivo",
    "Dettaglio tecnico",
)


def _text(value: object) -> str:
    return guard_csv_cell(clean_text(value))


def _new_or_existing(is_new: bool | None) -> str:
    return "" if is_new is None else ("nuovo" if is_new else "esistente")


def _amount(amount: Decimal | None) -> str:
    # Produced here from a Decimal, so a minus sign is a number, never a formula.
    return "" if amount is None else f"{Decimal(str(amount)).quantize(Decimal('0.01'))}".replace(".", ",")


def _row(line: OrderLine) -> list[str]:
    purchased = as_utc(line.purchase_date).astimezone(ROME)
    return [
        _text(line.amazon_order_id),
        purchased.strftime("%Y-%m-%d %H:%M:%S"),
        line.outcome.label,
        _text(line.site_order_number),
        _text(line.gestionale_key),
        _text(line.customer_code),
        _new_or_existing(line.customer_is_new),
        _new_or_existing(line.address_is_new),
        _amount(line.total),
        _text(line.currency),
        _text(line.reason),
        _text(line.detail),
    ]


def render_orders_csv(report: ImportReport) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(HEADER)
    for line in report.sorted_orders():
        writer.writerow(_row(line))
    return buffer.getvalue().encode("utf-8-sig")


def csv_filename(report: ImportReport) -> str:
    return f"ordini_amazon_{safe_filename_part(report.account_id)}_{safe_filename_part(report.run_id)}.csv"
