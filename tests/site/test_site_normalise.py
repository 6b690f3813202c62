import string

from hypothesis import given
from hypothesis import strategies as st

from amazon_passweb.site.normalise import (
    address_key,
    identity_key,
    is_shared_email,
    normalise_email,
    normalise_street,
    usable_email,
)


def test_email_is_trimmed_and_case_insensitive() -> None:
    assert normalise_email("  Mario.Rossi@Example.IT \n") == "mario.rossi@example.it"
    assert normalise_email("   ") is None
    assert normalise_email(None) is None


def test_shared_amazon_business_email_never_identifies_a_buyer() -> None:
    shared = "No-Reply-Amazon-IBA-Buyer@amazon.de"
    assert is_shared_email(shared)
    assert usable_email(shared) is None
    assert usable_email("abc123@marketplace.amazon.it") == "abc123@marketplace.amazon.it"
    assert usable_email("not-an-email") is None


def _key(line1: str, name: str = "Mario Rossi", city: str = "Milano", postal: str = "20121") -> str:
    return address_key(name=name, line1=line1, postal_code=postal, city=city, country_code="it")


def test_address_key_ignores_case_spacing_accents_punctuation_and_abbreviations() -> None:
    reference = _key("Viale Città di Castello, 12")
    assert _key("  VIALE  citta' di castello 12 ") == reference
    assert _key("V.le Città di Castello n. 12") == reference
    assert _key("v.le Citta di Castello, n.12") == reference
    assert _key("Piazza Duomo 1") == _key("P.za Duomo 1") == _key("pza duomo, 1")
    assert _key("Corso Como 5") == _key("C.so Como 5")
    assert _key("Via Roma 1") == _key("V. Roma 1")


def test_address_key_tells_different_addresses_apart() -> None:
    assert _key("Via Roma 1") != _key("Via Roma 11")
    assert _key("Via Roma 1") != _key("Via Roma 1", postal="20122")
    assert _key("Via Roma 1") != _key("Via Roma 1", name="Luigi Rossi")


@given(st.text(max_size=40))
def test_street_normalisation_is_idempotent(street: str) -> None:
    once = normalise_street(street)
    assert normalise_street(once) == once


@given(st.text(alphabet=string.ascii_letters + string.digits + " .,'-/", max_size=40))
def test_street_normalisation_ignores_case_and_surrounding_punctuation(street: str) -> None:
    assert normalise_street(f"  {street.upper()} ,") == normalise_street(street.lower())


def test_identity_key_for_companies_uses_the_vat_number() -> None:
    a = identity_key(is_company=True, vat_number="IT 01234567890", company="ACME srl")
    b = identity_key(is_company=True, vat_number="01234567890", company="Acme S.R.L.")
    assert a == b == "vat:01234567890"
    assert identity_key(is_company=True, vat_number="DE123456789") == "vat:DE123456789"


def test_identity_key_for_companies_without_vat_uses_the_company_name() -> None:
    a = identity_key(is_company=True, company="ACME S.r.l.", postal_code="20121", country_code="IT")
    b = identity_key(is_company=True, company="acme srl", postal_code="20121", country_code="it")
    assert a == b
    assert a.startswith("company:")


def test_identity_key_for_private_buyers_uses_name_postcode_and_street() -> None:
    a = identity_key(is_company=False, name="Mario Rossi", postal_code="20121", line1="Via Roma 1")
    b = identity_key(is_company=False, name=" MARIO  ROSSI ", postal_code="20121", line1="V. Roma, 1")
    c = identity_key(is_company=False, name="Mario Rossi", postal_code="00100", line1="Via Roma 1")
    assert a == b != c


def test_identity_key_is_none_without_enough_data() -> None:
    assert identity_key(is_company=False, name=None, postal_code=None, line1=None) is None
    assert identity_key(is_company=False, name="Mario Rossi") is None
