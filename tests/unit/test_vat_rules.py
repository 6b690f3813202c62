"""The VAT of goods that leave Italy (domain.md §8, ``orders.vat``) and its configuration: rate
matching within Amazon's rounding, reverse charge, marketplace facilitator, the per-order errors."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
import yaml

from amazon_passweb.amazon.models import Address, AmazonOrder, Buyer, FulfillmentChannel, OrderItem, ShippingLevel
from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE, ConfigError, parse_accounts
from amazon_passweb.importer.order_builder import OrderBuildError, build_rows
from amazon_passweb.notify.messages import Kind
from amazon_passweb.orders.status import AmazonStatus, RowKind
from amazon_passweb.orders.vat import (
    VatRegime,
    VatRuleError,
    applied_rate,
    destination_vat,
    match_rate,
    regime,
    vat_number_country,
)

CODES = {"DE": {"19": "19", "7": "7"}, "FR": {"20": "20", "5.5": "5.5"}}
D = Decimal


def tax(gross: str, rate: str) -> Decimal:
    """Amazon's tax of a gross amount, rounded to the cent."""
    return (D(gross) * D(rate) / (100 + D(rate))).quantize(D("0.01"))


@pytest.mark.parametrize(("gross", "rate", "quantity"), [
    ("29.90", "19", 1), ("29.90", "7", 1), ("12.99", "20", 1), ("12.99", "5.5", 1),
    ("3.00", "19", 3),  # 3 units of 1.00: 0.16 each, 0.48 for the line
])
def test_the_rate_amazon_applied_is_matched_to_the_configured_one(gross, rate, quantity) -> None:
    country = "DE" if rate in CODES["DE"] else "FR"
    assert match_rate(D(gross), tax(gross, rate), quantity, CODES[country]) == rate


def test_per_unit_rounding_is_within_the_tolerance_and_a_real_difference_is_not() -> None:
    # 3 × 0.99 at 19 %: Amazon rounds each unit's tax (0.16) → 0.48, the line's exact tax is 0.4742
    assert match_rate(D("2.97"), D("0.48"), 3, {"19": "19"}) == "19"
    assert match_rate(D("2.97"), D("0.48"), 1, {"19": "19"}) is None  # one unit cannot round that far
    assert match_rate(D("100.00"), tax("100.00", "16"), 1, CODES["DE"]) is None
    # on tiny amounts two rates can both be within rounding: the nearer wins
    assert match_rate(D("0.12"), D("0.02"), 1, {"19": "19", "20": "20"}) == "20"


def test_the_applied_rate_for_messages() -> None:
    assert applied_rate(D("119.00"), D("19.00")) == "19"
    assert applied_rate(D("10.55"), D("0.55")) == "5.5"


@pytest.mark.parametrize(("destination", "vat_number", "charged", "facilitator", "expected"), [
    ("IT", None, D("3.61"), False, VatRegime.DOMESTIC),
    (None, None, D(0), False, VatRegime.DOMESTIC),
    ("IT", "DE123456789", D(0), False, VatRegime.DOMESTIC),  # an Italian delivery is an Italian sale
    ("DE", None, D("4.77"), False, VatRegime.DESTINATION),
    ("DE", "DE123456789", D(0), False, VatRegime.REVERSE_CHARGE),
    ("FR", "FR12345678901", D(0), False, VatRegime.REVERSE_CHARGE),
    ("DE", "123456789", D(0), False, VatRegime.REVERSE_CHARGE),  # no prefix: the destination's number
    ("DE", "DE123456789", D("4.77"), False, VatRegime.DESTINATION),  # Amazon charged VAT: not reverse charge
    ("DE", "IT01234567890", D(0), False, VatRegime.DESTINATION),  # an Italian VAT number is no intra-EU B2B
    ("GB", "GB123456789", D(0), False, VatRegime.DESTINATION),  # outside the EU: no intra-EU reverse charge
    ("GB", None, D("5.00"), True, VatRegime.MARKETPLACE_FACILITATOR),
])
def test_the_regime_of_an_order(destination, vat_number, charged, facilitator, expected) -> None:
    assert regime(destination, vat_number, charged, facilitator) is expected


def test_vat_number_countries() -> None:
    assert vat_number_country("de 123456789".replace(" ", "")) == "DE"
    assert vat_number_country("EL123456789") == "GR"
    assert vat_number_country("123456789") is None


def test_errors_name_the_country_and_the_rate() -> None:
    with pytest.raises(VatRuleError) as unknown:
        destination_vat("AT", D("120.00"), D("20.00"), 1, CODES)
    assert (unknown.value.country, unknown.value.rate) == ("AT", "20")
    assert "vat.codes.AT" in str(unknown.value)
    with pytest.raises(VatRuleError) as unconfigured_rate:
        destination_vat("DE", D("116.00"), D("16.00"), 1, CODES)
    assert unconfigured_rate.value.rate == "16" and "7, 19" in str(unconfigured_rate.value)
    with pytest.raises(VatRuleError, match="TAX breakdown of an item delivered to DE is missing"):
        destination_vat("DE", D("119.00"), D(0), 1, CODES)
    # Italian VAT (below the distance-selling threshold) and no tax in an unconfigured country: as before
    assert destination_vat("AT", D("122.00"), D("22.00"), 1, CODES).code == "22"
    assert destination_vat("AT", D("122.00"), D(0), 1, CODES) is None


# --- the configuration ---------------------------------------------------------------------------

def _raw() -> dict:
    return yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text(encoding="utf-8"))


def test_the_defaults_keep_the_italian_behaviour() -> None:
    loaded = parse_accounts(_raw())
    vat = loaded.accounts[0].vat
    assert vat.codes == {} and (vat.reverse_charge, vat.marketplace_facilitator, vat.rounding) == ("N41", "N74", "E15")
    assert loaded.accounts[0].currencies == {"GBP": 2, "PLN": 3, "SEK": 4}


def test_rates_are_normalised_and_rounding_is_one_setting() -> None:
    loaded = parse_accounts({**_raw(), "vat": {"codes": {"fr": {"5,50": "5.5", 20: "20"}}, "rounding": "E99"}})
    assert loaded.vat.codes == {"FR": {"5.5": "5.5", "20": "20"}}
    assert loaded.spesa_articles.rounding_vat_code == "E99" == loaded.accounts[1].vat.rounding


@pytest.mark.parametrize(("section", "value", "error"), [
    ("vat", {"codes": {"XX": {"19": "19"}}}, "unknown country code 'XX'"),
    ("vat", {"codes": {"DE": {"nineteen": "19"}}}, "rate 'nineteen' is not a number"),
    ("vat", {"codes": {"DE": {"19": "19", "19.0": "19"}}}, "rate 19 is given twice"),
    ("vat", {"codes": {"DE": {"19": "19"}, "de": {"7": "7"}}}, "country DE is given twice"),
    ("vat", {"codes": {"DE": {"19": "D19"}}}, "cod_iva is the rate itself"),
    ("vat", {"codes": {"DE": {"120": "120"}}}, "not a percentage"),
    ("vat", {"reverse_charge": "22"}, "is a VAT rate"),
    ("vat", {"reverse_charge": "N74"}, "must be different"),
    ("vat", {"unknown": 1}, "is not a known field"),
    ("currencies", {"GB": 2}, "not an ISO 4217 currency code"),
    ("currencies", {"GBP": "two"}, "is not an id_valuta"),
    ("currencies", {"GBP": 2, "PLN": 2}, "the same id_valuta 2"),
    ("currencies", {"EUR": 1}, "base currency"),
])
def test_configuration_errors_are_clear(section, value, error) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_accounts({**_raw(), section: value})
    assert error in str(raised.value) or (error == "is not a known field" and "Extra inputs" in str(raised.value))


def test_vat_and_currencies_are_company_wide_and_rounding_is_given_once() -> None:
    raw = _raw()
    raw["accounts"][0]["vat"] = {"reverse_charge": "N41"}
    with pytest.raises(ConfigError, match="'vat': it is company-wide"):
        parse_accounts(raw)
    with pytest.raises(ConfigError, match="same setting"):
        parse_accounts({**_raw(), "vat": {"rounding": "E99"}, "spesa_articles": {"rounding_vat_code": "E15"}})


# --- the order builder ---------------------------------------------------------------------------

class _Articles:
    def resolve_sku(self, account, sku):
        return None

    def get(self, code):
        return SimpleNamespace(code=code, description=code, vat_rate="22") if code.startswith("ART") else None


def _item(sku: str, gross: str, rate: str | None, quantity: int = 1, shipping: str = "0",
          facilitator: bool = False) -> OrderItem:
    line = D(gross) * quantity
    return OrderItem(order_item_id=sku, seller_sku=sku, asin="B0" + sku, title=None, quantity=quantity,
                     unit_price=D(gross), item_tax=tax(str(line), rate) if rate else D(0),
                     shipping_price=D(shipping), shipping_tax=tax(shipping, rate) if rate else D(0),
                     marketplace_facilitator=facilitator)


def _order(country: str, *items: OrderItem, vat_number: str | None = None) -> AmazonOrder:
    from datetime import UTC, datetime
    moment = datetime(2026, 11, 2, 10, tzinfo=UTC)
    return AmazonOrder(
        amazon_order_id="028-0000001-0000001", marketplace_id="A1PA6795UKMFR9", purchase_date=moment,
        last_update_date=moment, status=AmazonStatus.UNSHIPPED, fulfillment_channel=FulfillmentChannel.MFN,
        shipping_level=ShippingLevel.STANDARD, shipping_service_level_raw="STANDARD",
        is_business=bool(vat_number), is_prime=False, currency="EUR",
        order_total=sum((i.line_total for i in items), D(0)),
        buyer=Buyer(name="Max Muster", company="Muster GmbH" if vat_number else None, vat_number=vat_number),
        delivery_address=Address(name="Max Muster", lines=("Hauptstr. 1",), city="Berlin", postal_code="10115",
                                 country_code=country),
        items=items,
    )


@pytest.fixture()
def account():
    return parse_accounts({**_raw(), "vat": {"codes": CODES}}).account("eu_de_fr")


def _vat(rows) -> list[tuple[str, str | None, str | None]]:
    return [(r.article_code, r.vat_rate, r.vat_code) for r in rows if r.kind is not RowKind.NOTE]


def test_a_german_order_gets_the_german_rate_on_goods_and_shipping(account) -> None:
    built = build_rows(_order("DE", _item("ART1", "29.90", "19", shipping="4.90"),
                              _item("ART2", "12.00", "7", quantity=2)), account, _Articles())
    assert _vat(built.rows) == [("ART1", "19", "19"), ("ART2", "7", "7"), ("SPEDSTD", "19", "19")]


def test_a_french_reduced_rate(account) -> None:
    built = build_rows(_order("FR", _item("ART1", "12.99", "5.5")), account, _Articles())
    assert _vat(built.rows) == [("ART1", "5.5", "5.5")]


def test_reverse_charge_puts_the_exemption_on_every_row(account) -> None:
    built = build_rows(_order("DE", _item("ART1", "25.13", None, shipping="4.12"), vat_number="DE811234567"),
                       account, _Articles())
    assert _vat(built.rows) == [("ART1", "0", "N41"), ("SPEDSTD", "0", "N41")]
    assert built.total_gross == D("29.25")


def test_marketplace_facilitator_gets_its_code(account) -> None:
    built = build_rows(_order("GB", _item("ART1", "24.00", "20", facilitator=True)), account, _Articles())
    assert _vat(built.rows) == [("ART1", "0", "N74")]


def test_an_italian_order_keeps_the_article_rate(account) -> None:
    built = build_rows(_order("IT", _item("ART1", "24.40", "10")), account, _Articles())
    assert _vat(built.rows) == [("ART1", "22", None)]  # as before: the article's code wins in Italy


def test_an_unconfigured_country_is_a_clear_per_order_error(account) -> None:
    with pytest.raises(OrderBuildError) as raised:
        build_rows(_order("AT", _item("ART1", "24.00", "20")), account, _Articles())
    assert raised.value.message.kind is Kind.VAT_NOT_CONFIGURED
    assert "AT" in raised.value.message.text and "20 %" in raised.value.message.text
    assert "028-0000001-0000001" in str(raised.value)
