"""The import-run report as plain data, independent of the database and of Airflow.

The importer fills an :class:`ImportReport` at the end of a run; the rest of this
package turns it into an email. Values that come from Amazon are kept as they
arrived: sanitising and escaping happen when the report is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from amazon_passweb.notify.formatting import as_utc


class RunKind(StrEnum):
    MANUAL = "manual"
    SCHEDULED = "scheduled"
    BACKFILL = "backfill"
    PRE_SYNC = "pre-sync"
    EVENT = "event"  # started by Amazon's ORDER_CHANGE notifications

    @property
    def label(self) -> str:
        return _RUN_KIND_LABELS[self]


_RUN_KIND_LABELS = {
    RunKind.MANUAL: "manuale (Sincro Ordini)",
    RunKind.SCHEDULED: "pianificata",
    RunKind.BACKFILL: "recupero di un periodo passato (backfill)",
    RunKind.PRE_SYNC: "prima della sincronizzazione con il gestionale",
    RunKind.EVENT: "avviata dalle notifiche Amazon",
}


class Outcome(StrEnum):
    """What this run did with one order (the furthest step it reached)."""

    CREATED = "created"  # site order in state Registrato, not yet in the gestionale
    PUSHED = "pushed"  # also stored in the gestionale (Memorizzato)
    INCOMPLETE = "incomplete"  # AFN order without buyer data, waits for manual completion
    WOULD_CREATE = "would-create"  # dry run: would have been created
    SKIPPED = "skipped"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return _OUTCOME_LABELS[self]

    @property
    def is_imported(self) -> bool:
        return self in IMPORTED_OUTCOMES


_OUTCOME_LABELS = {
    Outcome.CREATED: "Registrato nel sito",
    Outcome.PUSHED: "Memorizzato nel gestionale",
    Outcome.INCOMPLETE: "Incompleto da Logistica Amazon",
    Outcome.WOULD_CREATE: "Da importare (prova)",
    Outcome.SKIPPED: "Scartato",
    Outcome.FAILED: "Errore",
}

# Orders that have (or, in a dry run, would have) a site order after this run.
IMPORTED_OUTCOMES = frozenset({Outcome.CREATED, Outcome.PUSHED, Outcome.INCOMPLETE, Outcome.WOULD_CREATE})


@dataclass(frozen=True)
class OrderLine:
    """One Amazon order seen by the run.

    ``customer_is_new`` / ``address_is_new`` are None when the run did not get as far
    as reconciling the buyer (skipped or failed early). ``reason`` explains a skipped
    or failed order in words the operator can act on; ``detail`` is its technical side.

    No buyer personal data lives here on purpose (name, email, phone, address): the
    report names the customer only by its gestionale code, so ``reason`` and ``detail``
    must not quote buyer data either.
    """

    amazon_order_id: str
    purchase_date: datetime
    outcome: Outcome
    total: Decimal | None = None
    currency: str = "EUR"
    site_order_number: str | None = None
    gestionale_key: str | None = None  # e.g. "OX+2+15"
    customer_code: str | None = None  # gestionale account code, e.g. "501.00042"
    customer_is_new: bool | None = None
    address_is_new: bool | None = None
    reason: str | None = None  # Italian, from notify.messages
    detail: str | None = None  # the reason's technical detail: the CSV's last column, never the email body


class AfterImport(StrEnum):
    """What this run saw, or did, about an order imported earlier that changed on Amazon (domain.md §7)."""

    CANCELLED = "cancelled"  # Annullato: never sent, or its document's rows annullate
    AFTER_SHIPPING = "after_shipping"  # cancelled after shipping: the operator handles the return
    REQUESTED = "requested"  # the buyer asked to cancel: the merchant decides in Seller Central
    PENDING = "pending"  # cancelled on Amazon, the gestionale document still to annul (retried)

    @property
    def label(self) -> str:
        return _AFTER_IMPORT_LABELS[self]


_AFTER_IMPORT_LABELS = {
    AfterImport.CANCELLED: "Annullamenti applicati",
    AfterImport.AFTER_SHIPPING: "Annullati dopo la spedizione: gestire il reso",
    AfterImport.REQUESTED: "Richieste di annullamento da decidere",
    AfterImport.PENDING: "Annullamenti da applicare nel gestionale",
}


@dataclass(frozen=True)
class AfterImportLine:
    """One imported order that changed on Amazon; ``text`` is from notify.messages (no buyer data)."""

    amazon_order_id: str
    event: AfterImport
    text: str
    site_order_number: str | None = None
    gestionale_key: str | None = None


@dataclass(frozen=True)
class RunCounts:
    """How many orders reached each step.

    ``created`` counts every site order this run created (in a dry run: would create),
    including those then pushed or left incomplete; ``pushed`` and ``incomplete`` are
    subsets of it.
    """

    fetched: int = 0
    selected: int = 0
    skipped: int = 0
    created: int = 0
    pushed: int = 0
    failed: int = 0
    incomplete: int = 0


@dataclass(frozen=True)
class ShipmentLine:
    """A shipment the operator must look at (or one confirmed by this run): no buyer data."""

    amazon_order_id: str
    delivery_key: str  # the gestionale's delivery document, "BC/1/123/2026"
    state: str  # Italian, e.g. "manca il tracking"
    carrier: str | None = None
    tracking: str | None = None
    reason: str | None = None  # Italian, from notify.messages


@dataclass(frozen=True)
class ShipmentReport:
    """What this run's shipment confirmation did (counts of this run; ``lines``: every shipment that
    still needs the operator)."""

    confirmed: int = 0  # packages Amazon accepted (or already had)
    waiting_tracking: int = 0
    refused: int = 0
    cancelled: int = 0
    unmatched: int = 0
    retry: int = 0
    shipped_orders: int = 0
    gestionale_failed: bool = False
    lines: tuple[ShipmentLine, ...] = ()

    @property
    def anything(self) -> bool:
        return bool(self.confirmed or self.waiting_tracking or self.refused or self.cancelled or self.unmatched
                    or self.retry or self.gestionale_failed)


@dataclass(frozen=True)
class ImportReport:
    """One account's import run. Watermarks are "Data Ultima Sincronizzazione Ordini"."""

    account_id: str
    account_description: str
    run_id: str
    run_kind: RunKind
    window_start: datetime
    window_end: datetime
    watermark_before: datetime | None
    watermark_after: datetime | None
    counts: RunCounts
    orders: tuple[OrderLine, ...] = ()
    dry_run: bool = False
    # Used by the pre-sync run over every account: one free-text line per account that failed.
    failed_accounts: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    after_import: tuple[AfterImportLine, ...] = ()
    shipments: ShipmentReport | None = None

    @property
    def error_count(self) -> int:
        return self.counts.failed + len(self.failed_accounts)

    def sorted_orders(self) -> list[OrderLine]:
        """Oldest purchase first, as the operator reads them."""
        return sorted(self.orders, key=lambda line: (as_utc(line.purchase_date), line.amazon_order_id))

    def orders_with(self, *outcomes: Outcome) -> list[OrderLine]:
        return [line for line in self.sorted_orders() if line.outcome in outcomes]

    def after_import_with(self, event: AfterImport) -> list[AfterImportLine]:
        return sorted((line for line in self.after_import if line.event is event),
                      key=lambda line: line.amazon_order_id)


def should_send(report: ImportReport) -> bool:
    """Email the operator when the run imported orders, met errors, saw imported orders change on
    Amazon (cancellations, buyers' requests: domain.md §7), or confirmed or newly held up
    shipments; never for an empty clean run.

    A dry run counts as "imported" when it would have created orders: the operator
    asked for it and expects the preview.
    """
    counts = report.counts
    imported = counts.created or counts.pushed or counts.incomplete
    imported = imported or any(line.outcome.is_imported for line in report.orders)
    failed = report.error_count or any(line.outcome is Outcome.FAILED for line in report.orders)
    shipped = report.shipments is not None and report.shipments.anything
    return bool(imported or failed or report.after_import or shipped)
