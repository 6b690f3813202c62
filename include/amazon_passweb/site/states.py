"""Named values stored in the site database (domain.md §5-§7)."""

from __future__ import annotations

from enum import StrEnum


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
    """Gestionale order document: OC for a company customer, OX for a private one."""

    OC = "OC"
    OX = "OX"

    @classmethod
    def for_customer(cls, kind: CustomerKind) -> DocumentSigla:
        return cls.OC if kind == CustomerKind.COMPANY else cls.OX


class Origin(StrEnum):
    """Where a customer or address came from; purge only touches Amazon data."""

    AMAZON = "amazon"
    SITE = "site"
    GESTIONALE = "gestionale"


class RowKind(StrEnum):
    ARTICLE = "article"
    SPESA = "spesa"
    NOTE = "note"


class InboxStatus(StrEnum):
    """How far an Amazon order has come: new → selected | skipped → reconciled
    (customer and address found or created) | failed | waiting → imported | incomplete. A newer
    version of a waiting order puts it back to new."""

    NEW = "new"
    SELECTED = "selected"
    SKIPPED = "skipped"
    RECONCILED = "reconciled"
    IMPORTED = "imported"
    FAILED = "failed"
    INCOMPLETE = "incomplete"
    REJECTED = "rejected"  # Amazon sent it in a shape that cannot be read; kept raw, never imported
    WAITING = "waiting"  # Pending on Amazon without its address yet: imported once a version with it arrives


class RunOutcome(StrEnum):
    RUNNING = "running"
    SUCCESS = "success"
    PARTIAL = "partial"  # some orders failed, the rest went through
    FAILED = "failed"
    ABANDONED = "abandoned"  # a worker died mid-run; closed by the next start


class SyncType(StrEnum):
    PARTIAL = "partial"  # never counted in the quota
    CHANGED = "changed"
    TOTAL = "total"
