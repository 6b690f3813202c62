"""Property: the document total, as the gestionale computes it, equals the Amazon total to the cent,
with Italian rates, the rates of other EU countries (domain.md §8), the reverse-charge and
marketplace-facilitator exemptions mixed in one order, and in every configured currency."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from gestionale_builders import customer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amazon_passweb.config import SpesaArticles
from amazon_passweb.gestionale.mapping import (
    OrderInput,
    OrderRowInput,
    build_customer,
    build_document,
    rounding_bound,
)
from amazon_passweb.orders.document import document_sigla
from sandbox.gestionale.totals import totals as standin_totals

# (rate, stored code): Italian rates keep no code (the rate's own), rates abroad and exemptions carry one
VATS = [("22", None), ("10", None), ("5", None), ("4", None), ("19", "19"), ("7", "7"), ("20", "20"),
        ("5.5", "5.5"), ("21", "21"), ("0", "N41"), ("0", "N74")]
CURRENCIES = ["EUR", "GBP", "PLN", "SEK"]
SPESA = SpesaArticles()  # the default codes
SHIPPING_DISCOUNT_ARTICLE, GIFT_WRAP_ARTICLE, PROMOTION_ARTICLE = (
    SPESA.shipping_discount, SPESA.gift_wrap, SPESA.promotion)
CENT = Decimal("0.01")
_ids = itertools.count()


def money(low: int, high: int):
    return st.integers(low, high).map(lambda cents: Decimal(cents) * CENT)


@st.composite
def amazon_orders(draw) -> OrderInput:
    rows: list[OrderRowInput] = []

    def add(kind, code, quantity, line_total, vat):
        # Amazon gives line totals; the unit price is what is left after dividing by the quantity
        unit = line_total / quantity
        rows.append(
            OrderRowInput(kind, len(rows) + 1, code, f"{kind} {len(rows) + 1}", Decimal(quantity), unit, *vat)
        )
        return line_total

    total = Decimal(0)
    shipping_vat = ("22", None)
    for _ in range(draw(st.integers(1, 6))):
        rate = draw(st.sampled_from(VATS))
        shipping_vat = rate  # shipping follows the goods
        total += add(
            "article",
            f"ART{draw(st.integers(1, 40)):03d}",
            draw(st.integers(1, 12)),
            draw(money(1, 150_000)),
            rate,
        )
        if draw(st.booleans()):
            total += add("spesa", PROMOTION_ARTICLE, 1, -draw(money(1, 500)), rate)
    shipping = draw(money(0, 2_000))
    total += add("spesa", "SPEDSTD", 1, shipping, shipping_vat)
    if shipping and draw(st.booleans()):
        total += add("spesa", SHIPPING_DISCOUNT_ARTICLE, 1, -draw(money(1, int(shipping * 100))), shipping_vat)
    if draw(st.booleans()):
        total += add("spesa", GIFT_WRAP_ARTICLE, draw(st.integers(1, 3)), draw(money(100, 900)), shipping_vat)
    if draw(st.booleans()):
        rows.append(
            OrderRowInput("note", len(rows) + 1, None, "Messaggio regalo", Decimal(0), Decimal(0), "22")
        )
    return OrderInput(
        amazon_order_id=f"405-{next(_ids):07d}-0000000",
        purchase_date=dt.date(2026, 11, 20),
        fulfilment_channel=draw(st.sampled_from(["MFN", "AFN"])),
        sigla=document_sigla(draw(st.booleans())),
        currency=draw(st.sampled_from(CURRENCIES)),
        total_gross=total,
        rows=tuple(rows),
    )


def standin_total(payload: dict) -> Decimal:
    """The stand-in's own, independent total computation over the payload's rows."""
    rows: dict[int, dict] = {}
    for name in ("tp_riga", "quantita", "prezzo", "cod_iva"):
        for index, value in payload.get(name, []):
            rows.setdefault(index, {"sconto": Decimal(0)})[name] = value
    priced = [
        {**r, "quantita": Decimal(str(r["quantita"])), "prezzo": Decimal(str(r["prezzo"]))}
        for r in rows.values()
        if r["tp_riga"] == "R"
    ]
    return standin_totals(payload["sigla"], priced)["totale_documento"]


@settings(max_examples=400, deadline=None)
@given(amazon_orders())
def test_document_total_equals_the_amazon_total(account, amazon_order):
    mapped = build_document(amazon_order, account, "501.00001")
    assert mapped.total == amazon_order.total_gross
    assert mapped.payload.get("id_valuta") == account.currencies.get(amazon_order.currency)
    assert standin_total(mapped.payload) == amazon_order.total_gross
    value_rows = [r for r in amazon_order.rows if r.kind != "note"]
    assert abs(mapped.adjustment) <= rounding_bound(amazon_order.sigla, value_rows)
    expected_rows = len(amazon_order.rows) + (1 if mapped.adjustment else 0)
    assert len(mapped.payload["tp_riga"]) == expected_rows
    if amazon_order.sigla == "OX" and all(
        r.unit_price_gross == r.unit_price_gross.quantize(CENT) for r in value_rows
    ):
        assert mapped.adjustment == 0  # gross prices in cents need no adjustment


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amazon_order=amazon_orders())
def test_the_gestionale_stores_the_amazon_total(standin, client, account, amazon_order):
    code = client.ensure_customer(build_customer(customer()), account.customer_ledgers).key
    key = client.create_document(build_document(amazon_order, account, code), may_exist=False).key
    assert "totale_documento" not in client.get_document(key)  # documents carry no totals: computed from rows
    assert standin.standin.totals(key)["totale_documento"] == amazon_order.total_gross
