"""The administrator's email for AFN orders stored as "Incompleto da Logistica Amazon".

Amazon gives no buyer name or address for orders it fulfils itself, so those
orders wait in the site until someone completes them by hand (domain.md §5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from amazon_passweb.notify.formatting import EMPTY, as_utc, format_when
from amazon_passweb.notify.message import EmailContent
from amazon_passweb.notify.present import ID_LENGTH, SUBJECT_PREFIX, TEXT_LENGTH, plural
from amazon_passweb.notify.render import render
from amazon_passweb.notify.report import ImportReport, Outcome
from amazon_passweb.notify.sanitize import clean_text


@dataclass(frozen=True)
class IncompleteAfnOrder:
    amazon_order_id: str
    purchase_date: datetime
    site_order_number: str | None = None


@dataclass(frozen=True)
class AfnIncompleteNotice:
    account_id: str
    account_description: str
    orders: tuple[IncompleteAfnOrder, ...]
    run_id: str | None = None

    @classmethod
    def from_report(cls, report: ImportReport) -> AfnIncompleteNotice:
        return cls(
            account_id=report.account_id,
            account_description=report.account_description,
            run_id=report.run_id,
            orders=tuple(
                IncompleteAfnOrder(line.amazon_order_id, line.purchase_date, line.site_order_number)
                for line in report.orders_with(Outcome.INCOMPLETE)
            ),
        )


def build_afn_incomplete_email(notice: AfnIncompleteNotice) -> EmailContent:
    account = clean_text(notice.account_id, ID_LENGTH)
    orders = sorted(notice.orders, key=lambda order: (as_utc(order.purchase_date), order.amazon_order_id))
    view = {
        "account": account,
        "description": clean_text(notice.account_description, TEXT_LENGTH),
        "run_id": clean_text(notice.run_id, 250) or EMPTY,
        "orders": [
            {
                "amazon_order_id": clean_text(order.amazon_order_id, ID_LENGTH) or EMPTY,
                "purchase_date": format_when(order.purchase_date),
                "site_order_number": clean_text(order.site_order_number, ID_LENGTH) or EMPTY,
            }
            for order in orders
        ],
    }
    what = plural(
        len(orders),
        "ordine Incompleto da Logistica Amazon da completare",
        "ordini Incompleti da Logistica Amazon da completare",
    )
    subject = f"{SUBJECT_PREFIX} {account}: {what}"
    return EmailContent(
        subject=subject,
        text=render("afn_incomplete.txt", view=view, subject=subject),
        html=render("afn_incomplete.html", view=view, subject=subject),
    )
