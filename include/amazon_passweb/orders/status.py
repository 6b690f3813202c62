"""The named states of an order (domain.md §5-§7): Amazon's status, the site order's state,
the document sigla, row kinds, and the outcomes an order's history records."""

from __future__ import annotations

import re
from enum import StrEnum


class AmazonStatus(StrEnum):
    """Amazon order statuses, named as in Orders API v2026-01-01 (``FulfillmentStatus``)."""

    PENDING_AVAILABILITY = "PENDING_AVAILABILITY"
    PENDING = "PENDING"
    UNSHIPPED = "UNSHIPPED"
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    SHIPPED = "SHIPPED"
    CANCELLED = "CANCELLED"
    UNFULFILLABLE = "UNFULFILLABLE"

    @classmethod
    def parse(cls, value: str) -> AmazonStatus:
        """Accept the v2026 names and the legacy v0 names (``Unshipped``, ``Canceled``...)."""
        key = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", value.strip()).upper().replace(" ", "_")
        key = _V0_ALIASES.get(key, key)
        return cls(key)


# v0 spellings that differ from v2026 once upper-snake-cased. v2026 reports an
# order whose invoice is not yet confirmed as SHIPPED.
_V0_ALIASES = {"CANCELED": "CANCELLED", "INVOICE_UNCONFIRMED": "SHIPPED"}

# Statuses an order is still waiting in on Amazon: it may come without the buyer's address yet.
PENDING_STATUSES = frozenset({AmazonStatus.PENDING, AmazonStatus.PENDING_AVAILABILITY})


class OrderState(StrEnum):
    """Site order states, spelled as the site shows them."""

    REGISTRATO = "Registrato"  # in the site, not yet in the gestionale
    MEMORIZZATO = "Memorizzato"  # stored in the gestionale
    INCOMPLETO_AFN = "Incompleto da Logistica Amazon"  # AFN order without buyer data
    ATTESA_ANNULLAMENTO = "In attesa di annullamento"
    ANNULLATO = "Annullato"
    ATTESA_SPEDIZIONE = "In attesa di spedizione"
    SPEDITO = "Spedito"
    ATTESA_RIMBORSO = "In attesa di rimborso"
    RIMBORSATO = "Rimborsato"


class CustomerKind(StrEnum):
    PRIVATE = "private"
    COMPANY = "company"


class DocumentSigla(StrEnum):
    """Gestionale order document: OC for a company customer (net prices), OX for a private one (gross)."""

    OC = "OC"
    OX = "OX"

    @classmethod
    def for_company(cls, is_company: bool) -> DocumentSigla:
        return cls.OC if is_company else cls.OX

    @classmethod
    def for_customer(cls, kind: CustomerKind) -> DocumentSigla:
        return cls.for_company(kind == CustomerKind.COMPANY)


class RowKind(StrEnum):
    ARTICLE = "article"
    SPESA = "spesa"
    NOTE = "note"


class HistoryOutcome(StrEnum):
    """Steps an order's history records besides its inbox statuses (at most 16 characters)."""

    PUSHED = "pushed"  # stored in the gestionale (Memorizzato)
    PUSH_FAILED = "push_failed"  # the gestionale did not store it; it stays Registrato
    CANCELLED = "cancelled"  # cancelled on Amazon after it was imported
    RECOGNISED = "recognised"  # its buyer was found by identity, without an email
    CANCEL_APPLIED = "cancel_applied"  # Annullato: never pushed, or its document's rows annullate
    CANCEL_SHIPPED = "cancel_shipped"  # cancelled after a delivery document evaded it: a return to handle
    CANCEL_REQUEST = "cancel_request"  # the buyer asked to cancel; the merchant decides on Amazon
    CANCEL_PENDING = "cancel_pending"  # the gestionale document could not be annulled yet: retried
    SHIPPED = "shipped"  # Amazon accepted the confirmation of every item (Spedito)


class ShipmentStatus(StrEnum):
    """Where one delivery document of an order stands with Amazon (domain.md §7)."""

    PENDING = "pending"  # ready (carrier, tracking, date): to confirm, or retried after a transient error
    WAITING_TRACKING = "waiting_tracking"  # carrier, tracking or transport date missing in the gestionale
    CONFIRMED = "confirmed"  # Amazon has the package
    REFUSED = "refused"  # Amazon answered 400: sent again only once the document's data change
    CANCELLED = "cancelled"  # the order is cancelled on Amazon: never confirmed
    UNMATCHED = "unmatched"  # its rows name no item of the order: nothing Amazon could be told
