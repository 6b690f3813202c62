"""The gestionale's provincia: the sigla looked up from what the buyer typed, never a name cut short."""

import pytest
from gestionale_builders import customer, shipping

from amazon_passweb.gestionale.mapping import build_customer, build_shipping_address
from amazon_passweb.gestionale.provinces import SIGLE, province_sigla


def test_every_italian_province_has_a_distinct_sigla_and_name():
    assert len(SIGLE) == 107
    assert all(len(sigla) == 2 and sigla.isupper() for sigla in SIGLE)
    assert len(set(SIGLE.values())) == 107
    assert all(province_sigla(name, "IT") == sigla for sigla, name in SIGLE.items())


@pytest.mark.parametrize(("typed", "sigla"), [
    ("MI", "MI"), (" mi ", "MI"), ("rm", "RM"),
    ("Roma", "RM"), ("ROMA", "RM"), ("Rovigo", "RO"),  # cutting "Roma" to two letters would be Rovigo
    ("Città Metropolitana di Roma", "RM"), ("Provincia di Milano", "MI"), ("Prov. di Bergamo", "BG"),
    ("Forlì-Cesena", "FC"), ("FORLI' CESENA", "FC"), ("Reggio nell'Emilia", "RE"), ("Reggio di Calabria", "RC"),
    ("L'Aquila", "AQ"), ("La Spezia", "SP"), ("Monza e Brianza", "MB"), ("Bolzano/Bozen", "BZ"),
    ("Valle d'Aosta", "AO"), ("Pesaro e Urbino", "PU"), ("Massa Carrara", "MS"), ("Sud Sardegna", "SU"),
    ("Rome", "RM"), ("Milan", "MI"), ("Florence", "FI"),
])
def test_a_typed_province_becomes_its_sigla(typed, sigla):
    assert province_sigla(typed, "IT") == sigla


@pytest.mark.parametrize("typed", ["Lombardia", "ZZ", "Mil", "Provincia", "12"])
def test_what_is_no_italian_province_is_not_guessed(typed):
    assert province_sigla(typed, "IT") is None


def test_a_foreign_address_or_no_value_has_no_provincia():
    assert province_sigla("Bayern", "DE") == ""
    assert province_sigla("BA", "DE") == ""  # a German "BA" is not Bari
    assert province_sigla(None, "IT") == "" and province_sigla("  ", "IT") == ""
    assert province_sigla("Torino", None) == "TO"  # no country: Italian, as the mapping assumes


def test_the_records_sent_to_the_gestionale_carry_the_sigla_or_a_warning():
    roma = build_customer(customer(province="Roma"))
    assert roma.payload["provincia"] == "RM" and not roma.warnings
    region = build_shipping_address(shipping(province="Lombardia"), "501.00001")
    assert "provincia" not in region.payload
    assert region.warnings == ["shipping address: field 'provincia' left empty: not an Italian province sigla or "
                               "name"]
    foreign = build_customer(customer(province="Bayern", country="DE"))
    assert "provincia" not in foreign.payload and not foreign.warnings
