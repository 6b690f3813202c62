"""Remove buyer personal data that Amazon no longer lets us keep.

Amazon's data protection policy allows keeping buyer data only until shortly
after delivery. ``purge_buyer_data`` erases it from orders delivered (or
cancelled) more than N days ago, and then from Amazon-created customers and
addresses that no longer serve a live order. What tax law needs stays: the
order, its number, rows, amounts and VAT, the gestionale codes, and for a
company its name and VAT number (business data, on every invoice). Customers
and addresses that came from the site or the gestionale are never touched.
Running it twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select, update

from ._sql import utcnow
from .models import Address, Customer, InboxEntry, Order
from .states import CustomerKind, InboxStatus, OrderState, Origin
from .unit_of_work import SiteStore

DEFAULT_RETENTION_DAYS = 30
ORDERS = Order.__table__
INBOX = InboxEntry.__table__
ADDRESSES = Address.__table__
CUSTOMERS = Customer.__table__

_SHIPPED = "SHIPPED"  # Amazon's status name (v2026; v0 "Shipped" is normalised upstream)
_CLOSED_WITHOUT_DELIVERY = (OrderState.ANNULLATO.value, OrderState.RIMBORSATO.value)


@dataclass(frozen=True)
class PurgeReport:
    orders: int
    inbox_payloads: int
    addresses: int
    customers: int


def purge_buyer_data(
    store: SiteStore, *, older_than_days: int = DEFAULT_RETENTION_DAYS, now: datetime | None = None
) -> PurgeReport:
    now = now or utcnow()
    cutoff = now - timedelta(days=older_than_days)
    with store.unit_of_work() as uow:
        session = uow.active_session

        expired = _expired_orders(cutoff)
        orders = session.execute(update(ORDERS).where(expired).values(pii_purged_at=now)).rowcount

        # The raw Amazon payload: of purged orders, and of orders never imported.
        purged_order = exists().where(
            ORDERS.c.account == INBOX.c.account,
            ORDERS.c.amazon_order_id == INBOX.c.amazon_order_id,
            ORDERS.c.pii_purged_at.is_not(None),
        )
        stale_skipped = and_(INBOX.c.status == InboxStatus.SKIPPED.value, INBOX.c.last_update < cutoff)
        inbox_payloads = session.execute(
            update(INBOX)
            .where(INBOX.c.payload_enc.is_not(None), or_(purged_order, stale_skipped))
            .values(payload_enc=None, updated_at=now)
        ).rowcount

        address_in_use = exists().where(
            ORDERS.c.shipping_address_id == ADDRESSES.c.id, ORDERS.c.pii_purged_at.is_(None)
        )
        addresses = session.execute(
            update(ADDRESSES)
            .where(
                ADDRESSES.c.origin == Origin.AMAZON.value,
                ADDRESSES.c.pii_purged_at.is_(None),
                ADDRESSES.c.created_at < cutoff,
                not_(address_in_use),
            )
            .values(
                key_hash=None,
                name_enc=None,
                line1_enc=None,
                line2_enc=None,
                postal_code_enc=None,
                city_enc=None,
                province_enc=None,
                phone_enc=None,
                pii_purged_at=now,
            )
        ).rowcount

        customer_in_use = exists().where(
            ORDERS.c.customer_id == CUSTOMERS.c.id, ORDERS.c.pii_purged_at.is_(None)
        )
        purgeable = and_(
            CUSTOMERS.c.origin == Origin.AMAZON.value,
            CUSTOMERS.c.pii_purged_at.is_(None),
            CUSTOMERS.c.created_at < cutoff,
            not_(customer_in_use),
        )
        personal = {
            "email_enc": None,
            "email_hash": None,
            "name_enc": None,
            "phone_enc": None,
            "fiscal_code_enc": None,
            "pii_purged_at": now,
        }
        # A private buyer's identity key is built from name and address: personal.
        private = session.execute(
            update(CUSTOMERS)
            .where(purgeable, CUSTOMERS.c.kind == CustomerKind.PRIVATE.value)
            .values(**personal, identity_hash=None, company_enc=None, vat_number_enc=None)
        ).rowcount
        # A company keeps its name, VAT number and VAT-based identity.
        companies = session.execute(
            update(CUSTOMERS)
            .where(purgeable, CUSTOMERS.c.kind == CustomerKind.COMPANY.value)
            .values(**personal)
        ).rowcount
    return PurgeReport(
        orders=orders, inbox_payloads=inbox_payloads, addresses=addresses, customers=private + companies
    )


def _expired_orders(cutoff: datetime) -> ColumnElement[bool]:
    """Orders whose buyer data is past retention and not yet erased."""
    return and_(
        ORDERS.c.pii_purged_at.is_(None),
        or_(
            ORDERS.c.delivered_at < cutoff,
            # Shipped with no delivery date known (Amazon often gives none, and an
            # order imported as SHIPPED gets no later update): its last change,
            # which is after it was seen shipped, stands in for delivery.
            and_(
                ORDERS.c.delivered_at.is_(None),
                ORDERS.c.amazon_status_latest == _SHIPPED,
                ORDERS.c.updated_at < cutoff,
            ),
            and_(ORDERS.c.state.in_(_CLOSED_WITHOUT_DELIVERY), ORDERS.c.updated_at < cutoff),
        ),
    )


def orders_awaiting_purge(store: SiteStore, *, older_than_days: int = DEFAULT_RETENTION_DAYS) -> int:
    """How many orders the next purge would touch (for reports and monitoring)."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    with store.unit_of_work() as uow:
        return uow.active_session.execute(
            select(func.count()).select_from(ORDERS).where(_expired_orders(cutoff))
        ).scalar_one()
