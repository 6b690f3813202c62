"""The domain rules of ``amazon_passweb.orders`` on their own: rounding, Italian dates, buyer identity,
VAT numbers, note wording, shipping charge, and that the package depends on no adapter."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from amazon_passweb.config import SpesaArticles
from amazon_passweb.orders.dates import AMAZON_END_MARGIN, latest_allowed_end, parse_iso, rome_date
from amazon_passweb.orders.document import (
    document_sigla,
    shipping_article,
    shipping_charge,
    spesa_charges,
    standard_notes,
)
from amazon_passweb.orders.identity import (
    identity_key,
    is_company,
    is_shared_email,
    normalise_vat,
    usable_email,
    vat_number_forms,
)
from amazon_passweb.orders.money import cents, net_of_vat, vat_code, vat_rate_from_tax
from amazon_passweb.orders.status import AmazonStatus, DocumentSigla, HistoryOutcome


@pytest.mark.parametrize(("amount", "rounded"), [
    ("0.125", "0.13"),  # half-up: half-even would give 0.12
    ("0.135", "0.14"),
    ("-0.125", "-0.13"),  # away from zero, as the gestionale rounds a discount
    ("2.675", "2.68"),
    ("0.124999", "0.12"),
    ("10", "10.00"),
])
def test_cents_round_half_up(amount, rounded):
    assert cents(Decimal(amount)) == Decimal(rounded)
    assert str(cents(Decimal(amount))) == rounded


def test_net_of_vat_and_vat_codes():
    assert net_of_vat(Decimal("12.20"), Decimal(22)) == Decimal("10.00")
    assert net_of_vat(Decimal("0.99"), Decimal(22)) == Decimal("0.81")
    assert [vat_code(rate) for rate in ("22", "22.0", "22.00", "22%", "4", "0")] == ["22", "22", "22", "22", "4", "0"]
    with pytest.raises(ValueError, match="no gestionale VAT code"):
        vat_code("21")
    with pytest.raises(ValueError, match="not a number"):
        vat_code("ventidue")


def test_vat_rate_from_amazons_item_tax():
    assert vat_rate_from_tax(Decimal("12.20"), Decimal("2.20")) == "22"
    assert vat_rate_from_tax(Decimal("11.00"), Decimal("1.00")) == "10"
    assert vat_rate_from_tax(Decimal("10.00"), Decimal("0")) is None
    assert vat_rate_from_tax(Decimal("10.00"), Decimal("1.50")) is None  # 17.6 %: no Italian rate


@pytest.mark.parametrize(("moment", "day"), [
    (datetime(2026, 3, 28, 22, 59, tzinfo=UTC), date(2026, 3, 28)),  # 23:59 CET, the day before DST
    (datetime(2026, 3, 28, 23, 0, tzinfo=UTC), date(2026, 3, 29)),  # midnight CET
    (datetime(2026, 3, 29, 21, 59, tzinfo=UTC), date(2026, 3, 29)),  # 23:59 CEST, DST has begun
    (datetime(2026, 3, 29, 22, 0, tzinfo=UTC), date(2026, 3, 30)),
    (datetime(2026, 10, 24, 21, 59, tzinfo=UTC), date(2026, 10, 24)),  # 23:59 CEST
    (datetime(2026, 10, 24, 22, 0, tzinfo=UTC), date(2026, 10, 25)),
    (datetime(2026, 10, 25, 22, 59, tzinfo=UTC), date(2026, 10, 25)),  # 23:59 CET, DST has ended
    (datetime(2026, 10, 25, 23, 0, tzinfo=UTC), date(2026, 10, 26)),
])
def test_the_day_in_italy_across_daylight_saving_changes(moment, day):
    assert rome_date(moment) == day


def test_a_naive_moment_has_no_day_in_italy():
    with pytest.raises(ValueError):
        rome_date(datetime(2026, 10, 25, 12, 0))


def test_iso_timestamps_z_offsets_and_naive_as_utc():
    expected = datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert parse_iso("2026-11-01T10:00:00Z") == expected
    assert parse_iso("2026-11-01T10:00:00") == expected
    assert parse_iso(" 2026-11-01T11:00:00+01:00 ") == expected
    with pytest.raises(ValueError):
        parse_iso("1 novembre")


def test_amazons_two_minute_rule():
    now = datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert latest_allowed_end(now) == datetime(2026, 11, 1, 9, 58, tzinfo=UTC)
    assert AMAZON_END_MARGIN.total_seconds() == 120


def test_shared_and_usable_emails():
    assert is_shared_email(" No-Reply-Amazon-IBA-Buyer@amazon.de ")
    assert usable_email("no-reply-amazon-iba-buyer@amazon.it") is None
    assert usable_email(" Mario.Rossi@Example.IT ") == "mario.rossi@example.it"
    assert usable_email("") is None and usable_email(None) is None and usable_email("not-an-email") is None


@pytest.mark.parametrize(("vat", "normalised"), [
    ("IT01234567890", "01234567890"),
    ("it 012.345.678-90", "01234567890"),
    ("01234567890", "01234567890"),
    ("DE123456789", "DE123456789"),  # only Italy's prefix is dropped
    ("ITALIA1", "ITALIA1"),  # IT followed by letters is no prefix
    (None, ""),
])
def test_vat_number_normalisation_drops_the_italian_prefix(vat, normalised):
    assert normalise_vat(vat) == normalised


def test_vat_number_forms_for_the_gestionale():
    assert vat_number_forms("01234567890", "IT") == ("IT01234567890", "01234567890")
    assert vat_number_forms("IT 01234567890", None) == ("IT01234567890", "01234567890")
    assert vat_number_forms("123456789", "GR") == ("EL123456789", "123456789")
    assert vat_number_forms("  ", "IT") is None


def test_identity_key_by_vat_company_or_person():
    same = identity_key(is_company=True, vat_number="IT01234567890", company="ACME")
    assert same == identity_key(is_company=True, vat_number="01234567890", company="Other name") == "vat:01234567890"
    assert identity_key(is_company=True, company="ACME S.r.l.", postal_code="20100", country_code="it") == (
        "company:acme srl|20100|IT"
    )
    person = identity_key(is_company=False, name="Mario Rossi", postal_code="20 100", line1="V.le Monza 1",
                          country_code="IT")
    assert person == "private:mario rossi|20100|viale monza 1|IT"
    assert person == identity_key(is_company=False, name="MARIO  ROSSI", postal_code="20100",
                                  line1="viale Monza, 1", country_code="IT")
    assert identity_key(is_company=False, name="Mario Rossi") is None  # too thin to tell buyers apart
    assert identity_key(is_company=False, postal_code="20100", line1="Via Roma 1") is None


def test_company_flag_and_sigla():
    assert is_company(is_business=True, company="ACME", vat_number=None)
    assert is_company(is_business=True, company=None, vat_number="IT01234567890")
    assert not is_company(is_business=True, company=None, vat_number=None)
    assert not is_company(is_business=False, company="ACME", vat_number="IT01234567890")
    assert (document_sigla(True), document_sigla(False)) == (DocumentSigla.OC, DocumentSigla.OX)


def test_standard_notes_are_dated_in_italy():
    late = datetime(2026, 10, 5, 22, 45, tzinfo=UTC)  # 00:45 on 6 October in Italy
    assert standard_notes("402-1234567-1234567", late, AmazonStatus.UNSHIPPED.value) == [
        "Ordine Amazon 402-1234567-1234567 del 06/10/2026",
        "Stato Amazon all'importazione: UNSHIPPED",
    ]
    assert standard_notes("X", date(2026, 10, 5), "SHIPPED")[0] == "Ordine Amazon X del 05/10/2026"


def _row(kind, code, price, quantity="1"):
    return SimpleNamespace(kind=kind, article_code=code, quantity=Decimal(quantity), unit_price_gross=Decimal(price))


def test_shipping_charge_is_the_spesa_rows_but_gift_wrap_and_promotions():
    spesa = SpesaArticles()
    rows = [
        _row("article", "ART001", "20.00", "2"),
        _row("spesa", "SPEDEXP", "6.90"),
        _row("spesa", "SPEDSKU", "1.10"),  # a SKU's own shipping article
        _row("spesa", spesa.shipping_discount, "-2.00"),
        _row("spesa", spesa.gift_wrap, "3.00"),
        _row("spesa", spesa.promotion, "-5.00"),
        _row("note", None, "0", "0"),
    ]
    assert shipping_charge(rows, spesa) == Decimal("6.00")
    assert shipping_charge(rows[:1], spesa) == 0


def test_spesa_rows_and_the_shipping_article():
    spesa = SpesaArticles()
    assert shipping_article(False, [None, None], "SPEDSTD", "SPEDEXP") == "SPEDSTD"
    assert shipping_article(True, [None], "SPEDSTD", "SPEDEXP") == "SPEDEXP"
    assert shipping_article(True, [None, "EXPSKU"], "SPEDSTD", "SPEDEXP") == "EXPSKU"
    charges = spesa_charges("SPEDSTD", spesa)
    assert [(field, code, sign) for field, code, _, sign in charges] == [
        ("shipping_price", "SPEDSTD", 1),
        ("shipping_discount", "SCSPED", -1),
        ("gift_wrap_price", "CONFREG", 1),
        ("promotion_discount", "PROMO", -1),
    ]


def test_history_outcomes_fit_the_history_column():
    assert all(len(outcome.value) <= 16 for outcome in HistoryOutcome)


def loaded_by(module: str) -> set[str]:
    """The modules a fresh interpreter has loaded once it imported ``module``."""
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(result.stdout))


def _any_of(modules: set[str], *packages: str) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


def test_the_domain_imports_no_adapter_nor_airflow_nor_storage_library():
    """orders/ imports nothing of the project but config types."""
    modules = loaded_by("amazon_passweb.orders.document, amazon_passweb.orders.identity")
    project = {m for m in modules if m.startswith("amazon_passweb.")}
    assert project - {"amazon_passweb.config"} == {m for m in project if m.startswith("amazon_passweb.orders")}
    assert _any_of(modules, "airflow", "sqlalchemy", "cryptography") == []


def test_the_mapping_and_the_order_builder_are_not_tied_to_each_other_nor_to_the_site_store():
    mapping = loaded_by("amazon_passweb.gestionale.mapping")
    assert _any_of(mapping, "amazon_passweb.site", "sqlalchemy", "cryptography", "airflow") == []
    assert _any_of(loaded_by("amazon_passweb.importer.order_builder"), "amazon_passweb.gestionale") == []
