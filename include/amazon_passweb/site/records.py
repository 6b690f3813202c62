"""Plain values the repository takes and returns: no ORM objects, no ciphertext.

Personal data arrives here in clear and leaves in clear; only the repository
sees it encrypted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from amazon_passweb.orders.identity import address_key, identity_key, usable_email
from amazon_passweb.orders.shipments import PackageItem
from amazon_passweb.orders.status import ShipmentStatus

from .states import (
    CustomerKind,
    DocumentSigla,
    InboxStatus,
    OrderState,
    Origin,
    RowKind,
    RunOutcome,
    SyncType,
)


@dataclass(frozen=True)
class NewAddress:
    name: str | None
    line1: str | None
    postal_code: str | None
    city: str | None
    country_code: str | None
    line2: str | None = None
    province: str | None = None
    phone: str | None = None
    origin: Origin = Origin.AMAZON

    def key(self) -> str:
        return address_key(
            name=self.name,
            line1=self.line1,
            line2=self.line2,
            postal_code=self.postal_code,
            city=self.city,
            country_code=self.country_code,
        )


@dataclass(frozen=True)
class NewCustomer:
    kind: CustomerKind
    name: str | None = None
    company: str | None = None
    email: str | None = None
    vat_number: str | None = None
    fiscal_code: str | None = None
    phone: str | None = None
    origin: Origin = Origin.AMAZON
    source_account: str | None = None
    can_login: bool = False  # customers created from Amazon never get credentials

    def match_email(self) -> str | None:
        """The email that identifies this buyer, or None (absent or shared)."""
        return usable_email(self.email)

    def identity(self, address: NewAddress | None) -> str | None:
        """The fallback identity (domain.md §4), from the buyer and the shipping address."""
        return identity_key(
            is_company=self.kind == CustomerKind.COMPANY,
            vat_number=self.vat_number,
            company=self.company,
            name=self.name or (address.name if address else None),
            postal_code=address.postal_code if address else None,
            line1=address.line1 if address else None,
            country_code=address.country_code if address else None,
        )


@dataclass(frozen=True)
class CustomerRecord:
    id: int
    kind: CustomerKind
    origin: Origin
    email: str | None
    name: str | None
    company: str | None
    vat_number: str | None
    fiscal_code: str | None
    phone: str | None
    can_login: bool
    gestionale_code: str | None
    source_account: str | None
    created_at: datetime
    pii_purged_at: datetime | None


@dataclass(frozen=True)
class CustomerMatch:
    customer: CustomerRecord
    created: bool
    matched_by: str  # "email", "identity" or "new"


@dataclass(frozen=True)
class BuyerKey:
    """What identifies a buyer in the store: the hashed usable email, else the hashed fallback identity.
    ``identity_hash`` is the fallback identity's hash whichever identifies them (None when the data is too
    thin for one): it is stored on the customer, so the same buyer is found again without email."""

    column: str  # "email_hash" or "identity_hash"
    hash: str
    matched_by: str  # "email" or "identity"
    identity_hash: str | None = None


@dataclass(frozen=True)
class Resolved:
    """A customer or address found or created by a batch call: its id, and whether that call created it
    (only the first of several orders of one new buyer creates the customer)."""

    id: int
    created: bool


@dataclass(frozen=True)
class AddressRecord:
    id: int
    customer_id: int
    name: str | None
    line1: str | None
    line2: str | None
    postal_code: str | None
    city: str | None
    province: str | None
    country_code: str | None
    phone: str | None
    origin: Origin
    gestionale_address_id: str | None


@dataclass(frozen=True)
class AddressMatch:
    address: AddressRecord
    created: bool


@dataclass(frozen=True)
class OrderRowData:
    """One document row, in and out. Prices are VAT included, as Amazon gives them."""

    kind: RowKind
    line_no: int
    article_code: str | None
    description: str
    quantity: Decimal
    unit_price_gross: Decimal
    vat_rate: str | None
    order_item_id: str | None = None  # Amazon's orderItemId of an article row
    # the gestionale's cod_iva when it is not the rate's own Italian code (domain.md §8: a destination
    # country's rate, reverse charge, marketplace facilitator); None: derived from vat_rate as always
    vat_code: str | None = None


@dataclass(frozen=True)
class NewOrder:
    account: str
    marketplace_id: str
    amazon_order_id: str
    sezionale: int
    sigla: DocumentSigla
    fulfillment: str  # "MFN" or "AFN"
    amazon_status: str
    currency: str
    total_gross: Decimal
    rows: tuple[OrderRowData, ...]
    customer_id: int | None = None
    shipping_address_id: int | None = None
    purchase_date: datetime | None = None
    state: OrderState = OrderState.REGISTRATO
    import_run_id: int | None = None


@dataclass(frozen=True)
class OrderRecord:
    id: int
    account: str
    marketplace_id: str
    amazon_order_id: str
    sezionale: int
    number: int
    sigla: DocumentSigla
    state: OrderState
    fulfillment: str
    amazon_status_at_import: str
    amazon_status_latest: str
    purchase_date: datetime | None
    customer_id: int | None
    shipping_address_id: int | None
    currency: str
    total_gross: Decimal
    gestionale_document_key: str | None
    delivered_at: datetime | None
    pii_purged_at: datetime | None
    created_at: datetime
    rows: tuple[OrderRowData, ...] = field(default=())
    life_ended_at: datetime | None = None  # delivered or cancelled: the retention clock starts
    # a create of this order whose outcome is uncertain: "customer", "address" or "document", and when it was sent
    push_uncertain: str | None = None
    push_uncertain_at: datetime | None = None


@dataclass(frozen=True)
class OrderCreation:
    order: OrderRecord
    created: bool  # False: it existed already (another run or process made it)


@dataclass(frozen=True)
class PlacedOrder:
    """What ``OrderRepository.create_many`` tells of each order: the site order and whether it was new."""

    id: int
    sezionale: int
    number: int
    state: OrderState
    created: bool  # False: it existed already (an earlier run, or another process)


@dataclass(frozen=True)
class InboxMark:
    """A processing status to set on one inbox entry (see ``InboxRepository.mark``)."""

    amazon_order_id: str
    status: InboxStatus
    message: str | None = None  # Italian, for the operator
    order_id: int | None = None
    detail: str | None = None  # the message's technical detail


@dataclass(frozen=True)
class ReconciledEntry:
    """The reconcile step's result for one order (``None`` ids: an AFN order without buyer data)."""

    amazon_order_id: str
    customer_id: int | None = None
    customer_new: bool = False
    address_id: int | None = None
    address_new: bool = False


@dataclass(frozen=True)
class InboxRecord:
    account: str
    amazon_order_id: str
    marketplace_id: str | None
    amazon_status: str | None
    last_update: datetime
    payload: Any  # the decoded JSON, None once purged
    status: InboxStatus
    last_error: str | None
    attempts: int
    order_id: int | None
    customer_id: int | None = None  # from the reconcile step
    shipping_address_id: int | None = None
    customer_new: bool = False
    address_new: bool = False
    id: int = 0  # the inbox row: with last_update, where the next batch of a step starts
    last_error_detail: str | None = None  # the last error's technical detail

    @property
    def position(self) -> tuple[datetime, int]:
        return (self.last_update, self.id)


@dataclass(frozen=True)
class HistoryRecord:
    amazon_order_id: str
    run_id: str | None
    outcome: str  # an InboxStatus value, or a step name such as "pushed"
    message: str | None
    at: datetime
    detail: str | None = None


@dataclass(frozen=True)
class ImportRunCounts:
    """The counts stored with an import run (the email report has its own, notify.RunCounts)."""

    fetched: int = 0
    selected: int = 0
    created: int = 0
    pushed: int = 0
    failed: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class ImportRunRecord:
    id: int
    account: str
    run_id: str | None
    started_at: datetime
    finished_at: datetime | None
    outcome: RunOutcome
    counts: ImportRunCounts
    window_start: datetime | None
    window_end: datetime | None
    message: str | None


@dataclass(frozen=True)
class SyncRunRecord:
    id: int
    sync_type: SyncType
    run_id: str | None
    started_at: datetime
    finished_at: datetime | None
    outcome: RunOutcome
    counted: bool
    message: str | None
    gestionale_time: str | None = None  # the gestionale's clock when a changed/total sync began reading


@dataclass(frozen=True)
class GestionaleCustomerRecord:
    """What the site keeps of a gestionale customer: no readable personal data."""

    code: str  # mastro.conto
    kind: CustomerKind
    email_hash: str | None
    identity_hash: str | None
    changed_at: str | None  # its data_ult_mod


@dataclass(frozen=True)
class QuotaUsage:
    month: date  # first day of the month
    quota: int
    used: int

    @property
    def available(self) -> int:
        return max(self.quota - self.used, 0)


@dataclass(frozen=True)
class ArticleRecord:
    code: str
    description: str
    vat_rate: str | None
    is_spesa: bool


@dataclass(frozen=True)
class SkuMappingRecord:
    account: str
    seller_sku: str
    article_code: str
    shipping_article_code: str | None  # standard shipping
    shipping_article_express_code: str | None = None


@dataclass(frozen=True)
class ShipmentData:
    """One delivery document of an order as read from the gestionale, with its matched items."""

    order_id: int
    account: str
    delivery_key: str  # "BC/1/123/2026"
    order_key: str  # "OX+2+541"
    document_date: date
    carrier_code: str | None
    tracking_number: str | None
    shipped_at: datetime | None
    items: tuple[PackageItem, ...]
    matched_by: str
    fingerprint: str
    status: ShipmentStatus
    last_error: str | None = None


@dataclass(frozen=True)
class ShipmentRecord:
    id: int  # also the packageReferenceId told to Amazon
    order_id: int
    account: str
    delivery_key: str
    order_key: str
    document_date: date
    carrier_code: str | None
    tracking_number: str | None
    shipped_at: datetime | None
    items: tuple[PackageItem, ...]
    matched_by: str
    fingerprint: str
    status: ShipmentStatus
    last_error: str | None
    attempts: int
    confirmed_at: datetime | None
    updated_at: datetime

    @property
    def package_reference_id(self) -> str:
        return str(self.id)
