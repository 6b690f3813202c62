"""Italian, operator-facing wording of a report: every value cleaned and formatted once.

The HTML and text templates print these strings and nothing else, so no raw
Amazon value can reach an email without passing through :func:`clean_text`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from amazon_passweb.notify.formatting import EMPTY, format_money, format_when
from amazon_passweb.notify.report import (
    IMPORTED_OUTCOMES,
    AfterImport,
    AfterImportLine,
    ImportReport,
    OrderLine,
    Outcome,
    ShipmentLine,
    ShipmentReport,
)
from amazon_passweb.notify.sanitize import clean_text

SUBJECT_PREFIX = "[Amazon → Passweb]"

# Generous limits: they only stop a hostile or broken value from flooding the email.
ID_LENGTH = 64
TEXT_LENGTH = 500
# A reason comes from notify.messages, whose values are bounded: never cut what it says to do.
REASON_LENGTH = 1500


def new_or_existing(is_new: bool | None) -> str:
    if is_new is None:
        return EMPTY
    return "nuovo" if is_new else "esistente"


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


@dataclass(frozen=True)
class OrderRow:
    amazon_order_id: str
    purchase_date: str
    site_order_number: str
    gestionale_key: str
    customer: str
    address: str
    total: str
    outcome: str
    reason: str


@dataclass(frozen=True)
class AfterImportRow:
    amazon_order_id: str
    site_order_number: str
    gestionale_key: str
    text: str


@dataclass(frozen=True)
class AfterImportSection:
    title: str
    rows: list[AfterImportRow]


@dataclass(frozen=True)
class ShipmentRow:
    amazon_order_id: str
    delivery_key: str
    state: str
    carrier: str
    tracking: str
    reason: str


@dataclass(frozen=True)
class ReportView:
    subject: str
    heading: str
    account: str
    run_id: str
    run_kind: str
    dry_run: bool
    window: str
    watermark_before: str
    watermark_after: str
    counts: list[tuple[str, int]]
    imported_totals: list[str]
    imported: list[OrderRow]
    skipped: list[OrderRow]
    failed: list[OrderRow]
    failed_accounts: list[str]
    notes: list[str]
    after_import: list[AfterImportSection]
    shipment_counts: list[tuple[str, int]]
    shipments: list[ShipmentRow]


def order_row(line: OrderLine) -> OrderRow:
    customer = new_or_existing(line.customer_is_new)
    if line.customer_code:
        customer = f"{customer} ({clean_text(line.customer_code, ID_LENGTH)})"
    return OrderRow(
        amazon_order_id=clean_text(line.amazon_order_id, ID_LENGTH) or EMPTY,
        purchase_date=format_when(line.purchase_date),
        site_order_number=clean_text(line.site_order_number, ID_LENGTH) or EMPTY,
        gestionale_key=clean_text(line.gestionale_key, ID_LENGTH) or EMPTY,
        customer=customer,
        address=new_or_existing(line.address_is_new),
        total=format_money(line.total, line.currency),
        outcome=line.outcome.label,
        reason=clean_text(line.reason, REASON_LENGTH) or EMPTY,
    )


def after_import_row(line: AfterImportLine) -> AfterImportRow:
    return AfterImportRow(
        amazon_order_id=clean_text(line.amazon_order_id, ID_LENGTH) or EMPTY,
        site_order_number=clean_text(line.site_order_number, ID_LENGTH) or EMPTY,
        gestionale_key=clean_text(line.gestionale_key, ID_LENGTH) or EMPTY,
        text=clean_text(line.text, REASON_LENGTH) or EMPTY,
    )


def after_import_sections(report: ImportReport) -> list[AfterImportSection]:
    """The events on imported orders, a section per kind; the ones that need the operator first."""
    order = (AfterImport.AFTER_SHIPPING, AfterImport.REQUESTED, AfterImport.CANCELLED, AfterImport.PENDING)
    sections = []
    for event in order:
        lines = report.after_import_with(event)
        if lines:
            sections.append(AfterImportSection(f"{event.label} ({len(lines)})",
                                               [after_import_row(line) for line in lines]))
    return sections


def shipment_row(line: ShipmentLine) -> ShipmentRow:
    return ShipmentRow(
        amazon_order_id=clean_text(line.amazon_order_id, ID_LENGTH) or EMPTY,
        delivery_key=clean_text(line.delivery_key, ID_LENGTH) or EMPTY,
        state=clean_text(line.state, ID_LENGTH) or EMPTY,
        carrier=clean_text(line.carrier, ID_LENGTH) or EMPTY,
        tracking=clean_text(line.tracking, ID_LENGTH) or EMPTY,
        reason=clean_text(line.reason, REASON_LENGTH) or EMPTY,
    )


def shipment_counts(shipments: ShipmentReport | None) -> list[tuple[str, int]]:
    if shipments is None:
        return []
    return [
        ("Spedizioni confermate ad Amazon", shipments.confirmed),
        ("Ordini Spediti", shipments.shipped_orders),
        ("In attesa del tracking", shipments.waiting_tracking),
        ("Rifiutate da Amazon", shipments.refused),
        ("Ordini annullati su Amazon", shipments.cancelled),
        ("Righe non riconosciute", shipments.unmatched),
        ("Da ritentare", shipments.retry),
    ]


def build_subject(report: ImportReport) -> str:
    counts = report.counts
    account = clean_text(report.account_id, ID_LENGTH)
    if report.dry_run:
        parts = [plural(counts.created, "ordine da importare", "ordini da importare")]
    else:
        parts = [plural(counts.created, "ordine importato", "ordini importati")]
    if counts.incomplete:
        parts.append(plural(counts.incomplete, "incompleto", "incompleti"))
    if report.error_count:
        parts.append(plural(report.error_count, "errore", "errori"))
    cancelled = len(report.after_import_with(AfterImport.CANCELLED))
    if cancelled:
        parts.append(plural(cancelled, "annullato", "annullati"))
    requested = len(report.after_import_with(AfterImport.REQUESTED))
    if requested:
        parts.append(plural(requested, "richiesta di annullamento", "richieste di annullamento"))
    returns = len(report.after_import_with(AfterImport.AFTER_SHIPPING))
    if returns:
        parts.append(plural(returns, "annullato dopo la spedizione", "annullati dopo la spedizione"))
    if report.shipments is not None and report.shipments.confirmed:
        parts.append(plural(report.shipments.confirmed, "spedizione confermata", "spedizioni confermate"))
    trial = " PROVA" if report.dry_run else ""
    return f"{SUBJECT_PREFIX}{trial} {account}: {', '.join(parts)}"


def imported_totals(lines: list[OrderLine]) -> list[str]:
    """Sum per currency: one account can sell on marketplaces with different currencies."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        if line.total is not None:
            sums[line.currency] += line.total
    return [format_money(amount, currency) for currency, amount in sorted(sums.items())]


def build_view(report: ImportReport) -> ReportView:
    counts = report.counts
    imported = report.orders_with(*IMPORTED_OUTCOMES)
    created_label = "Ordini da importare (prova)" if report.dry_run else "Ordini importati nel sito"
    watermark_after = format_when(report.watermark_after)
    if report.dry_run:
        watermark_after = f"{format_when(report.watermark_before)} (invariata: prova)"
    account = clean_text(report.account_id, ID_LENGTH)
    description = clean_text(report.account_description, TEXT_LENGTH)
    return ReportView(
        subject=build_subject(report),
        heading=f"Importazione ordini Amazon – {account}",
        account=f"{account} – {description}" if description else account,
        run_id=clean_text(report.run_id, 250),
        run_kind=report.run_kind.label,
        dry_run=report.dry_run,
        window=f"dal {format_when(report.window_start)} al {format_when(report.window_end)}",
        watermark_before=format_when(report.watermark_before),
        watermark_after=watermark_after,
        counts=[
            ("Letti da Amazon", counts.fetched),
            ("Negli stati da importare", counts.selected),
            (created_label, counts.created),
            ("Memorizzati nel gestionale", counts.pushed),
            ("Incompleti da Logistica Amazon", counts.incomplete),
            ("Scartati", counts.skipped),
            ("Errori", counts.failed),
        ],
        imported_totals=imported_totals(imported),
        imported=[order_row(line) for line in imported],
        skipped=[order_row(line) for line in report.orders_with(Outcome.SKIPPED)],
        failed=[order_row(line) for line in report.orders_with(Outcome.FAILED)],
        failed_accounts=[clean_text(text, TEXT_LENGTH) for text in report.failed_accounts],
        notes=[clean_text(text, TEXT_LENGTH) for text in report.notes],
        after_import=after_import_sections(report),
        shipment_counts=shipment_counts(report.shipments),
        shipments=[shipment_row(line) for line in (report.shipments.lines if report.shipments else ())],
    )
