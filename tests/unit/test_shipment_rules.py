"""The shipment rules (orders/shipments.py, domain.md §7): matching a delivery document's rows to the
order's Amazon items, when an order is shipped, and when a document's data changed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from amazon_passweb.amazon.shipments import AmazonShipmentState
from amazon_passweb.config import ConfigError, parse_accounts
from amazon_passweb.importer.shipments import reread_window
from amazon_passweb.orders.shipments import (
    PackageItem,
    assumed_delivery,
    document_lines,
    fingerprint,
    is_ready,
    is_shipped,
    match_rows,
)
from amazon_passweb.orders.status import RowKind


@dataclass(frozen=True)
class Row:  # a site order row
    kind: str
    line_no: int
    article_code: str | None
    quantity: Decimal
    order_item_id: str | None


@dataclass(frozen=True)
class Evaded:  # a delivery document row
    article_code: str
    quantity: Decimal
    order_row: int | None


ORDER = (
    Row(RowKind.NOTE, 1, None, Decimal(0), None),
    Row(RowKind.NOTE, 2, None, Decimal(0), None),
    Row(RowKind.ARTICLE, 3, "ART001", Decimal(2), "item-a"),
    Row(RowKind.ARTICLE, 4, "ART002", Decimal(1), "item-b"),
    Row(RowKind.ARTICLE, 5, "ART001", Decimal(1), "item-c"),  # the same article on a second Amazon item
    Row(RowKind.SPESA, 6, "SPEDSTD", Decimal(1), None),
)
# the gestionale numbered the document's rows 11..16 in the order the push wrote them
DOCUMENT = [(1, 11, None), (2, 12, None), (3, 13, "ART001"), (4, 14, "ART002"), (5, 15, "ART001"),
            (6, 16, "SPEDSTD")]
LINES = document_lines(DOCUMENT, ORDER)


def test_the_order_document_lines_up_with_the_site_rows_by_place():
    assert LINES == {11: 1, 12: 2, 13: 3, 14: 4, 15: 5, 16: 6}
    assert document_lines(DOCUMENT[:-1], ORDER) == {}  # an operator removed a row
    changed = [*DOCUMENT[:3], (4, 14, "ART009"), *DOCUMENT[4:]]
    assert document_lines(changed, ORDER) == {}  # an operator changed an article


def test_rows_evading_order_rows_match_those_rows_and_leave_shipping_costs_out():
    matched = match_rows([Evaded("ART001", Decimal(1), 15), Evaded("SPEDSTD", Decimal(1), 16)], ORDER, LINES)
    assert matched.problem is None and matched.matched_by == "row"
    assert matched.items == (PackageItem("item-c", 1, 5),)


def test_without_the_order_row_rows_match_by_article_where_quantity_is_left():
    matched = match_rows([Evaded("ART001", Decimal(2), None), Evaded("ART002", Decimal(1), None)], ORDER, {})
    assert matched.matched_by == "article"
    assert matched.items == (PackageItem("item-a", 2, 3), PackageItem("item-b", 1, 4))
    # item-a already shipped by another document: the next ART001 is item-c
    later = match_rows([Evaded("ART001", Decimal(1), None)], ORDER, {}, shipped_before={"item-a": 2})
    assert later.items == (PackageItem("item-c", 1, 5),)
    # an order row that is not that article any more (the document changed): by article
    assert match_rows([Evaded("ART002", Decimal(1), 13)], ORDER, LINES).items == (PackageItem("item-b", 1, 4),)


def test_rows_that_name_no_amazon_item_make_no_package():
    assert match_rows([Evaded("ART999", Decimal(1), None)], ORDER, {}).problem == (
        "article ART999 is not among the order's rows")
    assert "whole number" in match_rows([Evaded("ART001", Decimal("0.5"), 13)], ORDER, LINES).problem
    assert match_rows([Evaded("SPEDSTD", Decimal(1), 16)], ORDER, LINES).problem == (
        "no article row of the order is evaded")
    before_item_ids = tuple(Row(r.kind, r.line_no, r.article_code, r.quantity, None) for r in ORDER)
    assert "no Amazon orderItemId" in match_rows([Evaded("ART002", Decimal(1), 14)], before_item_ids, LINES).problem


def test_an_order_is_shipped_once_confirmed_packages_cover_every_article():
    assert not is_shipped(ORDER, [PackageItem("item-a", 2, 3), PackageItem("item-b", 1, 4)])
    assert is_shipped(ORDER, [PackageItem("item-a", 1, 3), PackageItem("item-a", 1, 3), PackageItem("item-b", 1, 4),
                              PackageItem("item-c", 1, 5)])


def test_the_fingerprint_changes_with_the_documents_data_only():
    at = dt.datetime(2026, 12, 1, 10, 30, tzinfo=dt.UTC)
    rows = [Evaded("ART001", Decimal("1.000"), 13)]
    same = fingerprint("BRT", "T1", at, rows)
    assert same == fingerprint("BRT", "T1", at, [Evaded("ART001", Decimal(1), 13)])
    assert same != fingerprint("BRT", "T2", at, rows)
    assert same != fingerprint("GLS", "T1", at, rows)
    assert same != fingerprint("BRT", "T1", at + dt.timedelta(hours=1), rows)
    assert same != fingerprint("BRT", "T1", at, [Evaded("ART001", Decimal(2), 13)])


def test_a_document_is_ready_with_carrier_tracking_and_transport_start():
    at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert is_ready("BRT", "T1", at)
    assert not is_ready(None, "T1", at) and not is_ready("BRT", None, at) and not is_ready("BRT", "T1", None)


def test_the_reread_window_stays_in_the_working_year():
    assert reread_window(dt.date(2026, 12, 7), 14, 2026) == (dt.date(2026, 11, 23), dt.date(2026, 12, 7))
    assert reread_window(dt.date(2026, 1, 5), 14, 2026) == (dt.date(2026, 1, 1), dt.date(2026, 1, 5))
    assert reread_window(dt.date(2027, 1, 5), 14, 2026) == (dt.date(2026, 12, 22), dt.date(2026, 12, 31))
    assert reread_window(dt.date(2027, 3, 5), 14, 2026) is None


MINIMAL = {"accounts": [{
    "id": "a", "description": "A", "marketplaces": ["APJ6JRA9NG5V4"], "create_orders": "SI",
    "order_statuses": ["UNSHIPPED"], "orders_series": 2, "customer_ledgers": ["501"], "warehouse_mfn": 1,
    "warehouse_afn": 9, "shipping_article_standard": "SPEDSTD", "shipping_article_express": "SPEDEXP",
}]}  # fmt: skip


def test_carriers_map_to_amazon_and_an_unmapped_one_goes_as_other_by_its_code():
    accounts = parse_accounts(MINIMAL | {"carriers": {12: {"amazon_code": "BRT"},
                                                      "RS": {"amazon_code": "Other", "amazon_name": "Rossi"}}})
    shipments = accounts.account("a").shipments
    assert shipments.carrier("12") == ("BRT", None)
    assert shipments.carrier("RS") == ("Other", "Rossi")
    assert shipments.carrier("XY") == ("Other", "XY")
    assert (shipments.sigle, shipments.reread_days, accounts.account("a").confirm_shipments) == (["BC", "FT"], 14, True)


def test_shipment_settings_are_checked_at_load():
    with pytest.raises(ConfigError, match="amazon_name"):
        parse_accounts(MINIMAL | {"carriers": {"RS": {"amazon_code": "Other"}}})
    with pytest.raises(ConfigError, match="company-wide"):
        parse_accounts({"accounts": [MINIMAL["accounts"][0] | {"carriers": {}}]})
    with pytest.raises(ConfigError, match="shipment_reread_days"):
        parse_accounts(MINIMAL | {"shipment_reread_days": 0})
    assert not parse_accounts({"accounts": [MINIMAL["accounts"][0] | {"confirm_shipments": "NO"}]}
                              ).account("a").confirm_shipments


def test_a_shipped_order_counts_as_delivered_after_the_margin_unless_amazon_says_delivered():
    """Retention (domain.md §7): the end of a shipped order's life."""
    shipped = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
    assert assumed_delivery(shipped, 10) == shipped + dt.timedelta(days=10)

    def state(*statuses):
        return AmazonShipmentState.from_v2026({"fulfillment": {"fulfillmentStatus": "SHIPPED"}, "packages": [
            {"packageReferenceId": str(i), "packageStatus": {"status": s}} for i, s in enumerate(statuses)]})

    assert state("DELIVERED", "DELIVERED").delivered
    assert not state("DELIVERED", "SHIPPED").delivered  # one parcel still travelling
    assert not state().delivered  # no package yet
