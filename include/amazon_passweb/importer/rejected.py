"""Orders Amazon sent in a shape the product cannot read: kept in the inbox, never lost, never imported.

Each is stored with its raw payload and the reason, as status ``rejected``: the run
report lists it as an error, and a later, readable version of the same order (a
newer last-update time) replaces it and is imported as usual.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime

from amazon_passweb.amazon.client import RejectedOrder
from amazon_passweb.config import AccountConfig
from amazon_passweb.notify.messages import Kind, message
from amazon_passweb.orders.dates import parse_iso
from amazon_passweb.site.errors import NotFound
from amazon_passweb.site.inbox import InboxItem, UpsertResult
from amazon_passweb.site.states import InboxStatus
from amazon_passweb.site.unit_of_work import SiteStore

log = logging.getLogger(__name__)
ID_LENGTH = 32  # the inbox's Amazon order id column


def inbox_id(rejected: RejectedOrder) -> str:
    """The Amazon order id, or a stable stand-in for an order that came without a usable one."""
    order_id = (rejected.amazon_order_id or "").strip()
    if order_id and len(order_id) <= ID_LENGTH:
        return order_id
    fingerprint = json.dumps([order_id, rejected.raw], sort_keys=True, default=str)
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()
    return f"UNREADABLE-{digest[:ID_LENGTH - 11]}"


def _last_update(raw: object) -> datetime:
    text = raw.get("lastUpdatedTime") or raw.get("LastUpdateDate") if isinstance(raw, dict) else None
    try:
        return parse_iso(str(text))
    except ValueError:
        return datetime.now(UTC)


def _already_imported(uow, account_id: str, order_id: str) -> bool:
    try:
        return uow.inbox.get(account_id, order_id).status in (InboxStatus.IMPORTED, InboxStatus.INCOMPLETE)
    except NotFound:
        return False


def record_rejected(store: SiteStore, account: AccountConfig, rejected: list[RejectedOrder], run_id: str) -> int:
    recorded = 0
    for order in rejected:
        order_id = inbox_id(order)
        with store.unit_of_work() as uow:
            if _already_imported(uow, account.id, order_id):
                ignored = message(Kind.UNREADABLE_UPDATE, detail=order.error)
                uow.inbox.add_history(account.id, order_id, run_id=run_id, outcome="update_rejected",
                                      message=ignored.text, detail=ignored.detail)
                continue
            result = uow.inbox.upsert(account.id, InboxItem(
                amazon_order_id=order_id, last_update=_last_update(order.raw),
                payload={"rejected_raw": order.raw}))
            if result is UpsertResult.UNCHANGED:
                continue  # this version was already recorded, or a newer readable one exists
            reason = message(Kind.UNREADABLE_ORDER, detail=order.error)
            uow.inbox.mark(account.id, order_id, InboxStatus.REJECTED, run_id=run_id, message=reason.text,
                           detail=reason.detail)
            recorded += 1
    if recorded:
        log.warning("%d orders Amazon sent could not be read; they are in the inbox as rejected", recorded)
    return recorded
