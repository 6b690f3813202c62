"""Site order -> gestionale records: header, rows, notes, field lengths, customer keys."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from gestionale_builders import customer, order, row, shipping

from amazon_passweb.config import SpesaArticles
from amazon_passweb.gestionale.client import CUSTOMERS, GestionaleClient
from amazon_passweb.gestionale.mapping import (
    UnmappableDocument,
    build_customer,
    build_document,
    build_shipping_address,
    nationality,
    same_address,
    split_name,
)
from amazon_passweb.gestionale.push import OrderPush, push_order

TODAY = dt.date(2026, 11, 27)


def rows_of(payload: dict) -> list[dict]:
    """The parallel arrays back into one dict per row."""
    rows: dict[int, dict] = {}
    for name, pairs in payload.items():
        if isinstance(pairs, list):
            for index, value in pairs:
                rows.setdefault(index, {})[name] = value
    return [rows[i] for i in sorted(rows)]


def test_private_buyer_gets_ox_with_gross_prices(account):
    mapped = build_document(order(), account, "501.00001", 7, document_date=TODAY)
    payload = mapped.payload
    assert {
        k: payload[k]
        for k in (
            "sigla",
            "serie",
            "numero",
            "cod_conto",
            "data_documento",
            "id_causale",
            "id_magazzino",
            "id_costo_ricavo",
            "cod_vettore",
            "id_ind_sped",
            "rif_nr_attuale",
            "rif_dt_attuale",
        )
    } == {
        "sigla": "OX",
        "serie": 2,
        "numero": 0,
        "cod_conto": "501.00001",
        "data_documento": "20261127",
        "id_causale": 1,
        "id_magazzino": 1,
        "id_costo_ricavo": 10,
        "cod_vettore": "BRT",
        "id_ind_sped": 7,
        "rif_nr_attuale": "405-0000001-0000001",
        "rif_dt_attuale": "20261120",
    }
    rows = rows_of(payload)
    assert [r["tp_riga"] for r in rows] == ["D", "D", "R", "R"]
    assert rows[0]["descr_riga"] == "Ordine Amazon 405-0000001-0000001 del 20/11/2026"
    assert rows[1]["descr_riga"] == "Stato Amazon all'importazione: UNSHIPPED"
    assert rows[2]["prezzo"] == Decimal("24.40") and rows[2]["quantita"] == 2 and rows[2]["cod_iva"] == "22"
    assert rows[3]["codice_articolo"] == "SPEDSTD" and rows[3]["prezzo"] == Decimal("5.90")
    assert all(r["id_riga"] == 0 for r in rows)
    assert mapped.total == Decimal("54.70") and mapped.adjustment == 0


def test_company_gets_oc_with_net_prices(account):
    mapped = build_document(order(is_company=True), account, "501.00001", document_date=TODAY)
    rows = rows_of(mapped.payload)
    assert mapped.payload["sigla"] == "OC" and "id_ind_sped" not in mapped.payload
    assert rows[2]["prezzo"] == Decimal("20.00") and rows[3]["prezzo"] == Decimal("4.84")
    # 44.84 net + 9.86 VAT = 54.70: the Amazon total, no adjustment needed
    assert mapped.total == Decimal("54.70") and mapped.adjustment == 0


def test_afn_warehouse_and_free_shipping_carrier(account):
    free = order(channel="AFN", rows=[row(1, "ART002", "10.00"), row(2, "SPEDSTD", "0.00", kind="spesa")])
    payload = build_document(free, account, "501.00001").payload
    assert payload["id_magazzino"] == 9 and payload["cod_vettore"] == "GLS"
    discounted = order(
        rows=[
            row(1, "ART002", "10.00"),
            row(2, "SPEDSTD", "4.90", kind="spesa"),
            row(3, "SCSPED", "-4.90", kind="spesa"),
        ]
    )
    assert build_document(discounted, account, "501.00001").payload["cod_vettore"] == "GLS"
    own_article = order(rows=[row(1, "ART002", "10.00"), row(2, "SPEDSKU", "3.00", kind="spesa")])
    assert build_document(own_article, account, "501.00001").payload["cod_vettore"] == "BRT"


def test_rounding_adjustment_row_closes_the_total(account):
    # Amazon: 3 units for 10.00 -> unit 3.333..., the document can only carry 3.33
    thirds = order(rows=[row(1, "ART003", str(Decimal(10) / 3), 3)], total="10.00")
    mapped = build_document(thirds, account, "501.00001")
    last = rows_of(mapped.payload)[-1]
    assert last == {
        "id_riga": 0,
        "tp_riga": "R",
        "codice_articolo": "ARROTOND",
        "descr_riga": "Arrotondamento al totale Amazon",
        "quantita": 1,
        "prezzo": Decimal("0.01"),
        "cod_iva": "E15",
    }
    assert mapped.total == Decimal("10.00") and mapped.adjustment == Decimal("0.01")


def test_the_configured_spesa_articles_and_rounding_exemption_are_the_ones_used(account):
    """Proves issue #17 item 8: the rounding row carries the configured article and VAT exemption (totalled at 0 %),
    and the configured gift wrap and promotion articles are what does not count as shipping when choosing the
    carrier (every other spesa row is shipping or its discount, orders.document.shipping_charge)."""
    configured = account.model_copy(
        update={"spesa_articles": SpesaArticles(shipping_discount="SCONTOSP", gift_wrap="REGALO", rounding="ARR",
                                                rounding_vat_code="N2")}
    )
    thirds = order(is_company=True, rows=[row(1, "ART003", str(Decimal(10) / 3), 3)], total="10.00")
    mapped = build_document(thirds, configured, "501.00001")
    last = rows_of(mapped.payload)[-1]
    assert (last["codice_articolo"], last["cod_iva"]) == ("ARR", "N2")
    assert mapped.total == Decimal("10.00") and mapped.adjustment == last["prezzo"] != 0
    discounted = order(
        rows=[
            row(1, "ART002", "10.00"),
            row(2, "SPEDSTD", "4.90", kind="spesa"),
            row(3, "SCONTOSP", "-4.90", kind="spesa"),
        ]
    )
    assert build_document(discounted, configured, "501.00001").payload["cod_vettore"] == "GLS"  # free shipping
    wrapped = order(rows=[row(1, "ART002", "10.00"), row(2, "SPEDSTD", "0.00", kind="spesa"),
                          row(3, "REGALO", "3.00", kind="spesa")])
    assert build_document(wrapped, configured, "501.00001").payload["cod_vettore"] == "GLS"  # gift wrap only
    assert build_document(wrapped, account, "501.00001").payload["cod_vettore"] == "BRT"  # REGALO not gift wrap there


def test_oc_vat_rounding_adjustment(account):
    # 0.99 gross at 22%: net 0.81, VAT 0.18 -> 0.99; three rows of 1.01 at 22%: net 0.83 each
    company = order(is_company=True, rows=[row(n, "ART004", "1.01") for n in range(1, 4)], total="3.03")
    mapped = build_document(company, account, "501.00001")
    # 2.49 net + 0.55 VAT = 3.04: one cent too many, the adjustment takes it back
    assert mapped.adjustment == Decimal("-0.01") and mapped.total == Decimal("3.03")


def test_a_difference_beyond_rounding_is_an_error(account):
    with pytest.raises(UnmappableDocument, match="more than rounding"):
        build_document(order(total="60.00"), account, "501.00001")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"currency": "CHF"}, "currency CHF"),  # not in the configuration's currencies
        ({"rows": [row(1, "ART001", "10.00", vat="21")], "total": "10.00"}, "no gestionale VAT code"),
        ({"rows": [row(1, None, "10.00")], "total": "10.00"}, "no article code"),
        ({"amazon_id": "X" * 21}, "longer than the external reference"),
    ],
)
def test_orders_that_cannot_be_mapped(account, change, message):
    with pytest.raises(UnmappableDocument, match=message):
        build_document(order(**change), account, "501.00001")


def test_notes_are_wrapped_descriptions_truncated_with_warnings(account):
    long_note = "Consegna al portiere " * 8
    long_name = "Cavo USB-C " * 10
    mapped = build_document(
        order(
            rows=[
                row(1, "ART001", "10.00", description=long_name),
                row(2, None, "0", kind="note", description=long_note),
            ],
            total="10.00",
        ),
        account,
        "501.00001",
    )
    rows = rows_of(mapped.payload)
    assert rows[2]["descr_riga"] == long_name[:60].rstrip()
    notes = [r["descr_riga"] for r in rows[3:]]
    assert " ".join(notes) == long_note.strip() and all(len(n) <= 60 for n in notes)
    assert len(mapped.warnings) == 1 and "descr_riga" in mapped.warnings[0] and "row 1" in mapped.warnings[0]


def test_vat_rates_given_as_decimals(account):
    mapped = build_document(order(rows=[row(1, "ART001", "10.00", vat="10.00")], total="10.00"), account, "5")
    assert rows_of(mapped.payload)[-1]["cod_iva"] == "10"


def test_customer_payload_and_lookup_keys():
    private = build_customer(customer(email="  Buyer1@Marketplace.Amazon.IT "))
    assert private.payload == {
        "gest_per_fisica": "S",
        "tp_nazionalita": "I",
        "ragione_sociale": "Mario Rossi 1",
        "cognome": "1",
        "nome": "Mario Rossi",
        "indirizzo": "Via Roma 1",
        "cap": "20100",
        "localita": "Milano",
        "provincia": "MI",
        "cod_paese": "IT",
        "email": "buyer1@marketplace.amazon.it",
        "telefono": "+39 02 1234567",
    }
    assert private.lookup == [
        {
            "campo": "email",
            "condizione": "=",
            "valore": "buyer1@marketplace.amazon.it",
            "case_insensitive": True,
        }
    ]
    company = build_customer(customer(company="ACME S.r.l.", is_company=True, vat_number="IT01234567890"))
    assert company.payload["ragione_sociale"] == "ACME S.r.l." and company.payload["gest_per_fisica"] == "N"
    assert "cognome" not in company.payload and company.payload["partita_iva"] == "IT01234567890"
    # the gestionale may hold the number with or without its prefix: both are searched (a list is OR'ed)
    assert company.lookup == [
        {
            "campo": "partita_iva",
            "condizione": "=",
            "valore": ["IT01234567890", "01234567890"],
            "case_insensitive": True,
        }
    ]
    bare = build_customer(customer(company="ACME S.r.l.", is_company=True, vat_number="01234567890"))
    assert bare.payload["partita_iva"] == "IT01234567890"
    assert bare.lookup[0]["valore"] == ["IT01234567890", "01234567890"]
    shared = build_customer(customer(email="no-reply-amazon-iba-buyer@amazon.it"))
    assert [f["campo"] for f in shared.lookup] == ["ragione_sociale", "cap", "indirizzo"]
    anonymous = build_customer(customer(email=None))
    assert [f["campo"] for f in anonymous.lookup] == ["ragione_sociale", "cap", "indirizzo"]


def test_customer_fields_truncated_with_warnings():
    mapped = build_customer(customer(name="N" * 90, province="Lombardia", address_line2="scala B"))
    assert len(mapped.payload["ragione_sociale"]) == 80 and "provincia" not in mapped.payload
    assert mapped.payload["indirizzo"] == "Via Roma 1, scala B"
    assert {w.split("'")[1] for w in mapped.warnings} == {"ragione_sociale", "cognome", "provincia"}


def test_truncated_records_are_accepted_by_the_gestionale(standin, client, account):
    buyer = customer(name="N" * 90, address_line1="Via " + "Lunga " * 20, city="C" * 70)
    item = OrderPush(
        order(
            buyer=buyer,
            shipping=shipping(name="S" * 100),
            rows=[row(1, "ART001", "10.00", description="D" * 80)],
            total="10.00",
        )
    )
    result = push_order(client, account, item)
    assert result.ok, result.error
    # ragione sociale, cognome (the one-word name), indirizzo, località, the address's descrizione, descr_riga
    assert len(result.warnings) == 6


def test_shipping_address_and_same_address():
    mapped = build_shipping_address(shipping(), "501.00001")
    assert mapped.payload["cod_conto"] == "501.00001" and mapped.payload["indirizzo"] == "Corso Italia 1"
    assert [f["campo"] for f in mapped.lookup] == ["cod_conto", "descrizione", "indirizzo", "cap"]
    assert "ragione_sociale" not in mapped.payload and mapped.payload["cod_paese"] == "IT"
    assert mapped.payload["tp_nazionalita"] == "I"
    buyer = customer()
    assert same_address(
        buyer,
        shipping(name=" mario  ROSSI 1", address_line1="via roma 1", postal_code="20100", city="MILANO"),
    )
    assert not same_address(buyer, shipping())


@pytest.mark.parametrize(
    ("amazon_name", "cognome", "nome"),
    [
        ("Mario Rossi", "Rossi", "Mario"),
        ("Maria De Luca", "De Luca", "Maria"),
        ("Anna Maria della Valle", "della Valle", "Anna Maria"),
        ("Jan van der Berg", "van der Berg", "Jan"),
        ("Rossi", "Rossi", ""),
        ("  Gianni   D'Angelo ", "D'Angelo", "Gianni"),
    ],
)
def test_an_amazon_name_is_split_into_cognome_and_nome(amazon_name, cognome, nome):
    assert split_name(amazon_name) == (cognome, nome)


@pytest.mark.parametrize(
    ("country", "expected"), [("IT", "I"), ("it", "I"), ("DE", "C"), ("FR", "C"), ("GB", "E"), ("CH", "E")]
)
def test_nationality_of_a_country(country, expected):
    assert nationality(country) == expected


def _create_customer(client, codice: str) -> None:
    """A customer keyed in by hand in the gestionale, with an explicit code."""
    client.transport.request("POST", CUSTOMERS, {"codice": codice, "ragione_sociale": "Ultimo"}, idempotent=False)


def test_customer_codes_follow_the_highest_conto_in_use(standin, client, account):
    _create_customer(client, "501.00007")
    _create_customer(client, "501.00003")
    first = client.ensure_customer(build_customer(customer()), account.customer_ledgers)
    second = client.ensure_customer(build_customer(customer(2)), account.customer_ledgers)
    assert (first.key, second.key) == ("501.00008", "501.00009")
    # a conto someone keys in meanwhile is skipped, not overwritten
    _create_customer(client, "501.00010")
    assert client.ensure_customer(build_customer(customer(3)), account.customer_ledgers).key == "501.00011"
    assert standin.standin.count_customers() == 6


def test_customer_codes_move_to_the_next_mastro_when_full(standin, client, account):
    _create_customer(client, "501.99999")
    created = client.ensure_customer(build_customer(customer()), account.customer_ledgers)
    assert created.key == "502.00001"
    _create_customer(client, "502.99999")
    from amazon_passweb.gestionale.errors import DocumentRefused

    later_push = GestionaleClient(client.settings, settle_s=0.01)  # each push counts conti afresh
    with pytest.raises(DocumentRefused, match="all customer mastri are full"):
        later_push.ensure_customer(build_customer(customer(2)), account.customer_ledgers)


def test_existing_customer_gets_a_new_shipping_address_once(standin, client, account):
    code = client.ensure_customer(build_customer(customer()), account.customer_ledgers).key
    for n in range(2):
        item = OrderPush(order(f"405-7777777-{n:07d}", shipping=shipping()), customer_code=code)
        result = push_order(client, account, item)
        assert result.ok and result.shipping_address_id == "S0000001"
    assert standin.standin.count_addresses(cod_conto=code) == 1
    assert standin.standin.documents()[0]["id_ind_sped"] == "S0000001"


def test_afn_order_without_buyer_uses_the_placeholder(standin, client, account):
    placeholder_account = account.model_copy(update={"afn_placeholder_customer": "501.00001"})
    client.ensure_customer(build_customer(customer()), account.customer_ledgers)
    incomplete = order(channel="AFN", buyer=None)
    incomplete = incomplete.__class__(**{**incomplete.__dict__, "customer": None})
    assert push_order(client, placeholder_account, OrderPush(incomplete)).customer_code == "501.00001"
    refused = push_order(client, account, OrderPush(incomplete))
    assert not refused.ok and "incomplete AFN order" in refused.error


def test_goods_to_the_new_customers_own_address_need_no_shipping_address(standin, client, account):
    same = shipping(name="Mario Rossi 1", address_line1="Via Roma 1", postal_code="20100", city="Milano")
    result = push_order(client, account, OrderPush(order(shipping=same)))
    assert result.ok and result.shipping_address_id is None
    assert standin.standin.count_addresses() == 0
    # the same order pushed again after a crash finds the customer, and still adds no address
    again = push_order(client, account, OrderPush(order(shipping=same)))
    assert again.document_key == result.document_key and standin.standin.count_addresses() == 0


def test_goods_to_the_customers_street_for_someone_else_carry_the_recipient_either_way(standin, client, account):
    """A gift to another person at the buyer's own street: the recipient's name needs a shipping address,
    whether the order creates the customer, finds it, or comes with the code an earlier push recorded
    (a crash between two orders of one buyer): the same records every way."""
    gift = shipping(name="Anna Bianchi", address_line1="Via Roma 1", postal_code="20100", city="Milano")
    first = push_order(client, account, OrderPush(order("405-7777777-0000001", shipping=gift)))
    assert first.ok and first.customer_created and first.shipping_address_id == "S0000001"
    found = push_order(client, account, OrderPush(order("405-7777777-0000002", shipping=gift)))
    assert found.ok and not found.customer_created and found.shipping_address_id == "S0000001"
    known = OrderPush(order("405-7777777-0000003", shipping=gift), customer_code=first.customer_code)
    assert push_order(client, account, known).shipping_address_id == "S0000001"
    assert standin.standin.count_addresses() == 1
    # and the buyer's own name at that street is the customer's own address, known code or not
    own = shipping(name="Mario Rossi 1", address_line1="Via Roma 1", postal_code="20100", city="Milano")
    home = OrderPush(order("405-7777777-0000004", shipping=own), customer_code=first.customer_code)
    assert push_order(client, account, home).shipping_address_id is None


def test_a_known_shipping_address_id_is_used_as_is(standin, client, account):
    code = client.ensure_customer(build_customer(customer()), account.customer_ledgers).key
    known = client.ensure_shipping_address(build_shipping_address(shipping(), code)).key
    item = OrderPush(order(shipping=shipping(2)), customer_code=code, shipping_address_id=known)
    assert push_order(client, account, item).shipping_address_id == known
    assert standin.standin.count_addresses() == 1


def _abroad(line_no, code, price, rate, vat_code, qty=1, kind="article"):
    return replace(row(line_no, code, price, qty, vat=rate, kind=kind), vat_code=vat_code)


def test_rows_taxed_abroad_carry_their_code_and_the_rate_amazon_applied(account):
    """A German company (OC): net prices at 19 % and 7 %, each code's VAT on its own net sum."""
    rows = [_abroad(1, "ART001", "29.90", "19", "19"), _abroad(2, "ART002", "10.70", "7", "7", qty=2),
            _abroad(3, "SPEDSTD", "4.90", "19", "19", kind="spesa")]
    mapped = build_document(order(is_company=True, rows=rows, total="56.20"), account, "501.00001")
    cod_iva = [value for _, value in mapped.payload["cod_iva"]]
    prices = [value for _, value in mapped.payload["prezzo"]]
    assert cod_iva[:3] == ["19", "7", "19"] and prices[:3] == [Decimal("25.13"), Decimal("10.00"), Decimal("4.12")]
    assert mapped.total == Decimal("56.20")


def test_reverse_charge_rows_are_exempt_and_the_total_is_amazons(account):
    rows = [_abroad(1, "ART001", "25.13", "0", "N41", qty=3), _abroad(2, "SPEDSTD", "4.12", "0", "N41", kind="spesa")]
    mapped = build_document(order(is_company=True, rows=rows), account, "501.00001")
    assert [v for _, v in mapped.payload["cod_iva"]] == ["N41", "N41"]
    assert mapped.total == Decimal("79.51") and mapped.adjustment == 0


def test_an_order_in_pounds_carries_its_currency_and_the_gestionale_exchange_rate(account):
    mapped = build_document(order(currency="GBP"), account, "501.00001", exchange_rates={2: Decimal("0.85")})
    assert mapped.payload["id_valuta"] == 2 and mapped.payload["cambio_vlt_euro"] == Decimal("0.85")
    assert mapped.total == Decimal("54.70")  # 2 × 24.40 + 5.90, in pounds
    euro = build_document(order(), account, "501.00001", exchange_rates={2: Decimal("0.85")})
    assert "id_valuta" not in euro.payload and "cambio_vlt_euro" not in euro.payload
