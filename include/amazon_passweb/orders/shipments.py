"""The rules of a shipment (domain.md §7): which items of an Amazon order a delivery document of the
gestionale carries, when the order counts as shipped, and when a document's data changed.

- **matching**: each evaded row names the order row it evades (``id_riga_orig``) when the gestionale
  keeps it; that row is the site row at the same place in the order document. Otherwise (or when the
  document no longer lines up with the site order) the row is matched by article code, to the first
  order row of that article with quantity still to ship. Rows evading a spesa row (shipping costs)
  carry no Amazon item and are left out. Every package item is an Amazon ``orderItemId`` with a
  whole quantity;
- **shipped**: an order is shipped once the confirmed packages cover every article row's quantity;
- **fingerprint**: a digest of the document's data (carrier, tracking, date, rows); a document
  refused by Amazon is sent again only once this changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from amazon_passweb.orders.status import RowKind


class EvadedLine(Protocol):
    """What the rules read of a delivery document's row (``gestionale.shipments.EvadedRow``)."""

    article_code: str
    quantity: Decimal
    order_row: int | None


class OrderLine(Protocol):
    """What the rules read of a site order row (``site.records.OrderRowData``)."""

    kind: str
    line_no: int
    article_code: str | None
    quantity: Decimal
    order_item_id: str | None


@dataclass(frozen=True)
class PackageItem:
    order_item_id: str  # Amazon's orderItemId
    quantity: int
    line_no: int  # the site order row

    def to_json(self) -> dict:
        return {"order_item_id": self.order_item_id, "quantity": self.quantity, "line_no": self.line_no}

    @classmethod
    def from_json(cls, raw: dict) -> PackageItem:
        return cls(str(raw["order_item_id"]), int(raw["quantity"]), int(raw["line_no"]))


@dataclass(frozen=True)
class Matched:
    items: tuple[PackageItem, ...]
    matched_by: str  # "row": every row by the order row it evades; "article": some by article code; "none"
    problem: str | None = None  # why no package can be made (technical, for the log and the page)


def document_lines(document_rows: Iterable[tuple[int, int, str | None]], order_rows: Sequence[OrderLine]
                   ) -> dict[int, int]:
    """The gestionale order document's ``id_riga`` → site row ``line_no``, from the document's rows
    ``(position, id_riga, article code)``. The push writes the site rows in ``line_no`` order, one
    document row each: when the document still lines up (same count, same article at each place) the
    n-th document row is the n-th site row. Otherwise {} (an operator changed it): match by article."""
    rows = sorted(document_rows)
    ordered = sorted(order_rows, key=lambda r: r.line_no)
    if len(rows) != len(ordered):
        return {}
    if any((code or None) != (site.article_code or None) for (_, _, code), site in zip(rows, ordered, strict=True)):
        return {}
    return {id_riga: site.line_no for (_, id_riga, _), site in zip(rows, ordered, strict=True)}


def match_rows(evaded: Iterable[EvadedLine], order_rows: Sequence[OrderLine], lines: Mapping[int, int],
               shipped_before: Mapping[str, int] | None = None) -> Matched:
    """The package items of one delivery document. ``lines`` is :func:`document_lines`' map;
    ``shipped_before`` the quantities other documents of the order already carry, by orderItemId."""
    by_line = {row.line_no: row for row in order_rows}
    remaining = {row.line_no: int(row.quantity) - (shipped_before or {}).get(row.order_item_id or "", 0)
                 for row in order_rows}
    quantities: dict[int, int] = {}
    by_article = False
    for row in evaded:
        if row.quantity == 0:
            continue
        if row.quantity < 0 or row.quantity != row.quantity.to_integral_value():
            return Matched((), "none", f"article {row.article_code}: quantity {row.quantity} is not a whole number")
        line_no = lines.get(row.order_row) if row.order_row is not None else None
        site = by_line.get(line_no) if line_no is not None else None
        if site is None or site.article_code != row.article_code:
            by_article = True
            site = _by_article(row.article_code, order_rows, remaining)
        if site is None:
            return Matched((), "none", f"article {row.article_code} is not among the order's rows")
        if site.kind == RowKind.SPESA:
            continue  # shipping costs evaded with the goods: no Amazon item
        if not site.order_item_id:
            return Matched((), "none", f"row {site.line_no} has no Amazon orderItemId (imported before it was kept)")
        quantity = int(row.quantity)
        quantities[site.line_no] = quantities.get(site.line_no, 0) + quantity
        remaining[site.line_no] = remaining.get(site.line_no, 0) - quantity
    if not quantities:
        return Matched((), "none", "no article row of the order is evaded")
    items = tuple(PackageItem(str(by_line[n].order_item_id), q, n) for n, q in sorted(quantities.items()))
    return Matched(items, "article" if by_article else "row")


def _by_article(code: str, order_rows: Sequence[OrderLine], remaining: Mapping[int, int]) -> OrderLine | None:
    candidates = [r for r in sorted(order_rows, key=lambda r: r.line_no)
                  if r.article_code == code and r.kind != RowKind.NOTE]
    with_quantity = [r for r in candidates if remaining.get(r.line_no, 0) > 0]
    return (with_quantity or candidates or [None])[0]


def is_shipped(order_rows: Iterable[OrderLine], confirmed: Iterable[PackageItem]) -> bool:
    """Every article row's quantity is in packages Amazon accepted."""
    shipped: dict[str, int] = {}
    for item in confirmed:
        shipped[item.order_item_id] = shipped.get(item.order_item_id, 0) + item.quantity
    articles = [r for r in order_rows if r.kind == RowKind.ARTICLE]
    return bool(articles) and all(
        r.order_item_id and shipped.get(r.order_item_id, 0) >= int(r.quantity) for r in articles
    )


def fingerprint(carrier_code: str | None, tracking_number: str | None, shipped_at: dt.datetime | None,
                evaded: Iterable[EvadedLine]) -> str:
    """A stable digest of a delivery document's data as the gestionale gives it (not of the items
    matched from it, which depend on the order's other documents): it changes only with the document."""
    data = [carrier_code, tracking_number, shipped_at.isoformat() if shipped_at else None,
            [[row.article_code, str(row.quantity.normalize()), row.order_row] for row in evaded]]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def is_ready(carrier_code: str | None, tracking_number: str | None, shipped_at: dt.datetime | None) -> bool:
    """Amazon in Italy needs carrier, tracking and the transport start ("manca il tracking" otherwise)."""
    return bool(carrier_code and tracking_number and shipped_at)


def assumed_delivery(shipped_at: dt.datetime, margin_days: int) -> dt.datetime:
    """When a shipped order counts as delivered if Amazon has not said so (domain.md §7): the end
    of its life, from which buyer data is kept ``buyer_data_retention_days``. Carriers deliver
    within ``delivery_margin_days`` (accounts file, default 10) of shipping."""
    return shipped_at + dt.timedelta(days=margin_days)
