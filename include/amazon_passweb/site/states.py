"""Named values stored in the site database (domain.md §5-§7).

The order's own states, sigla, customer and row kinds are domain concepts (``orders.status``),
re-exported here for the store's callers; the rest are the store's own bookkeeping.
"""

from __future__ import annotations

from enum import StrEnum

from amazon_passweb.orders.status import CustomerKind, DocumentSigla, HistoryOutcome, OrderState, RowKind

__all__ = [
    "CustomerKind",
    "DocumentSigla",
    "HistoryOutcome",
    "InboxStatus",
    "OrderState",
    "Origin",
    "RowKind",
    "RunOutcome",
    "SyncType",
]


class Origin(StrEnum):
    """Where a customer or address came from; purge only touches Amazon data."""

    AMAZON = "amazon"
    SITE = "site"
    GESTIONALE = "gestionale"


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
