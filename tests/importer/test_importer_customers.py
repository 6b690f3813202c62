"""Rules of customer and address reconciliation (domain.md §4), end to end into the gestionale."""

from dataclasses import asdict

import pytest
from importer_helpers import (
    address,
    amazon_order,
    business_buyer,
    inbox_entry,
    private_buyer,
    site_counts,
    site_order,
)

from amazon_passweb.site.records import NewAddress, NewCustomer
from amazon_passweb.site.states import CustomerKind, DocumentSigla, Origin

SITE_CODE = "501.00007"
MARIA = NewCustomer(kind=CustomerKind.PRIVATE, name="Maria Verdi", email="maria.verdi@example.it",
                    phone="+39 02 1234567", origin=Origin.SITE, can_login=True)
MARIA_HOME = NewAddress(name="Maria Verdi", line1="Via Roma 12", postal_code="20121", city="Milano",
                        country_code="IT", province="MI", origin=Origin.SITE)


def register_on_site(store):
    """Maria registered on the site herself: she has a login and an address of her own."""
    with store.unit_of_work() as uow:
        customer = uow.customers.get_or_create(MARIA).customer
        uow.customers.get_or_add_address(customer.id, MARIA_HOME)
    return customer


@pytest.fixture
def site_customer(store, standin):
    """Maria, registered on the site and already in the gestionale as SITE_CODE."""
    customer = register_on_site(store)
    with store.unit_of_work() as uow:
        uow.customers.set_gestionale_code(customer.id, SITE_CODE)
        customer = uow.customers.get(customer.id)
    standin.store.insert_customer({"codice": SITE_CODE, "ragione_sociale": "Maria Verdi", "gest_per_fisica": "S",
                                   "cognome": "Verdi", "nome": "Maria",
                                   "indirizzo": "Via Roma 12", "cap": "20121", "localita": "Milano",
                                   "email": "maria.verdi@example.it", "telefono": "+39 02 1234567"})
    return customer


def customer_of(store, account, amazon_order_id):
    with store.unit_of_work(read_only=True) as uow:
        return uow.customers.get(uow.orders.find(account.id, amazon_order_id).customer_id)


def addresses_of(store, customer_id):
    with store.unit_of_work(read_only=True) as uow:
        return uow.customers.addresses(customer_id)


def test_a_buyer_email_already_in_the_site_attaches_the_customer_and_changes_none_of_its_data(
        importer, store, it_main, gestionale_db, site_customer):
    gestionale_before = gestionale_db.customer(SITE_CODE)
    [home] = addresses_of(store, site_customer.id)
    order = amazon_order(buyer=private_buyer("M. Verdi (Amazon)", "  Maria.Verdi@Example.IT "),
                         delivery=address("M. Verdi", "Piazza Duomo 1", "20122", "Milano", phone="333 0000000"))

    importer.run([order])

    with store.unit_of_work(read_only=True) as uow:
        after = uow.customers.get(site_customer.id)
        attached = uow.orders.find(it_main.id, order.amazon_order_id)
    assert attached.customer_id == site_customer.id
    assert asdict(after) == asdict(site_customer)
    assert addresses_of(store, site_customer.id)[0] == home
    assert site_counts(store)["customers"] == 1
    assert inbox_entry(store, it_main, order.amazon_order_id).customer_new is False
    assert gestionale_db.document(order.amazon_order_id)["cod_conto"] == SITE_CODE
    assert gestionale_db.customer(SITE_CODE) == gestionale_before
    assert gestionale_db.counts()["clienti"] == 1


def test_a_new_address_of_a_known_customer_is_created_once_in_the_site_and_in_the_gestionale(
        importer, store, it_main, gestionale_db, site_customer):
    email = "maria.verdi@example.it"
    new_place = amazon_order(buyer=private_buyer("Maria Verdi", email),
                             delivery=address("Niccolò Cantù", "Corso Vittorio Emanuele II, 5", "47121", "Forlì"))
    same_place_written_differently = amazon_order(
        buyer=private_buyer("Maria Verdi", email),
        delivery=address("NICCOLO' CANTU", "C.so  vittorio emanuele ii 5", "47121", "FORLI"))

    importer.run([new_place, same_place_written_differently])

    site_addresses = addresses_of(store, site_customer.id)
    assert [a.line1 for a in site_addresses] == ["Via Roma 12", "Corso Vittorio Emanuele II, 5"]
    assert inbox_entry(store, it_main, new_place.amazon_order_id).address_new is True
    assert inbox_entry(store, it_main, same_place_written_differently.amazon_order_id).address_new is False
    orders = [site_order(store, it_main, o.amazon_order_id) for o in (new_place, same_place_written_differently)]
    assert {o.shipping_address_id for o in orders} == {site_addresses[1].id}

    [indirizzo] = gestionale_db.addresses(SITE_CODE)
    assert indirizzo["descrizione"] == "Niccolò Cantù"
    assert indirizzo["indirizzo"] == "Corso Vittorio Emanuele II, 5"
    assert indirizzo["cap"] == "47121" and indirizzo["localita"] == "Forlì"
    for order in (new_place, same_place_written_differently):
        document = gestionale_db.document(order.amazon_order_id)
        assert (document["cod_conto"], document["id_ind_sped"]) == (SITE_CODE, indirizzo["id"])


def test_a_new_buyers_orders_to_two_addresses_in_one_run_each_ship_to_their_own(importer, store, it_main,
                                                                                 gestionale_db):
    buyer = private_buyer("Anna Neri", "anna.neri@marketplace.amazon.it")
    home = amazon_order(buyer=buyer, delivery=address("Anna Neri", "Via Po 3", "10121", "Torino", province="TO"))
    office = amazon_order(buyer=buyer, delivery=address("Anna Neri", "Via Etnea 9", "95121", "Catania",
                                                        province="CT"))

    importer.run([home, office])

    [customer] = gestionale_db.customers()
    assert (customer["indirizzo"], customer["localita"]) == ("Via Po 3", "Torino")
    [elsewhere] = gestionale_db.addresses(customer["codice"])
    assert (elsewhere["indirizzo"], elsewhere["localita"]) == ("Via Etnea 9", "Catania")
    assert gestionale_db.document(home.amazon_order_id).get("id_ind_sped") is None  # the customer's own
    assert gestionale_db.document(office.amazon_order_id)["id_ind_sped"] == elsewhere["id"]


def test_a_site_customer_not_yet_in_the_gestionale_goes_there_with_its_own_data(importer, store, it_main,
                                                                                gestionale_db):
    register_on_site(store)
    order = amazon_order(buyer=private_buyer("M. Verdi (Amazon)", "maria.verdi@example.it"),
                         delivery=address("M. Verdi", "Piazza Duomo 1", "20122", "Milano"))

    importer.run([order])

    code = customer_of(store, it_main, order.amazon_order_id).gestionale_code
    record = gestionale_db.customer(code)
    assert (record["ragione_sociale"], record["telefono"]) == ("Maria Verdi", "+39 02 1234567")
    assert (record["indirizzo"], record["cap"]) == ("Via Roma 12", "20121")
    [shipping] = gestionale_db.addresses(code)
    assert (shipping["descrizione"], shipping["indirizzo"]) == ("M. Verdi", "Piazza Duomo 1")
    assert gestionale_db.document(order.amazon_order_id)["id_ind_sped"] == shipping["id"]


@pytest.mark.parametrize(("taken", "expected"), [
    ((), "501.00001"),
    (("501.00041",), "501.00042"),
    (("501.99999",), "502.00001"),  # the first mastro is full: the next one of the account
])
def test_a_new_buyer_becomes_a_customer_under_the_account_mastro_without_login(
        importer, store, it_main, standin, gestionale_db, taken, expected):
    for code in taken:
        standin.store.insert_customer({"codice": code, "ragione_sociale": f"Cliente {code}"})
    order = amazon_order(buyer=private_buyer("Ilaria Zappalà", "4f2a9c1e0b7d@marketplace.amazon.it"),
                         delivery=address("Ilaria Zappalà", "Via Cavour 3", "95121", "Catania", province="CT"))

    importer.run([order])

    customer = customer_of(store, it_main, order.amazon_order_id)
    assert customer.can_login is False
    assert customer.origin is Origin.AMAZON and customer.source_account == it_main.id
    assert customer.name == "Ilaria Zappalà" and customer.email == "4f2a9c1e0b7d@marketplace.amazon.it"
    assert customer.gestionale_code == expected
    assert inbox_entry(store, it_main, order.amazon_order_id).customer_new is True
    record = gestionale_db.customer(expected)
    assert record["ragione_sociale"] == "Ilaria Zappalà" and record["gest_per_fisica"] == "S"
    assert (record["cognome"], record["nome"]) == ("Zappalà", "Ilaria")
    assert (record["indirizzo"], record["cap"], record["localita"]) == ("Via Cavour 3", "95121", "Catania")
    assert gestionale_db.document(order.amazon_order_id)["cod_conto"] == expected


def test_the_shared_amazon_business_email_never_merges_two_companies(importer, store, it_main, gestionale_db):
    first = amazon_order(business=True, buyer=business_buyer("Ottica Zappalà S.r.l.", "IT01234567890"))
    second = amazon_order(business=True, buyer=business_buyer("Tipografia Santoro S.n.c.", "IT09876543210"))

    importer.run([first, second])

    customers = [customer_of(store, it_main, o.amazon_order_id) for o in (first, second)]
    assert customers[0].id != customers[1].id
    assert [c.company for c in customers] == ["Ottica Zappalà S.r.l.", "Tipografia Santoro S.n.c."]
    assert all(c.kind is CustomerKind.COMPANY for c in customers)
    documents = [gestionale_db.document(o.amazon_order_id) for o in (first, second)]
    assert documents[0]["cod_conto"] != documents[1]["cod_conto"]
    assert [d["sigla"] for d in documents] == [DocumentSigla.OC.value] * 2
    assert sorted(c["partita_iva"] for c in gestionale_db.customers()) == ["IT01234567890", "IT09876543210"]


def test_two_buyers_of_one_company_share_its_gestionale_customer(importer, store, it_main, gestionale_db):
    """Two colleagues buy with their own emails (two site customers); the gestionale knows the company by
    its VAT number (one customer): both orders are stored under it, and each site customer records its code."""
    anna = business_buyer("Ottica Zappalà S.r.l.", "IT01234567890", "Anna Zappalà", "anna@ottica-zappala.it")
    bruno = business_buyer("Ottica Zappalà S.r.l.", "01234567890", "Bruno Zappalà", "bruno@ottica-zappala.it")
    orders = [amazon_order(business=True, buyer=anna), amazon_order(business=True, buyer=bruno)]

    counts = importer.run(orders)

    assert (counts["pushed"], counts["push_failed"]) == (2, 0)
    customers = [customer_of(store, it_main, o.amazon_order_id) for o in orders]
    assert customers[0].id != customers[1].id
    [company] = gestionale_db.customers()
    assert [c.gestionale_code for c in customers] == [company["codice"]] * 2
    assert [gestionale_db.document(o.amazon_order_id)["cod_conto"] for o in orders] == [company["codice"]] * 2


def test_two_private_buyers_without_email_are_two_customers(importer, store, it_main, gestionale_db):
    first = amazon_order(buyer=private_buyer("Giuseppe Rossi", None),
                         delivery=address("Giuseppe Rossi", "Via XX Settembre 4", "16121", "Genova"))
    second = amazon_order(buyer=private_buyer("Chiara Ricci", None),
                          delivery=address("Chiara Ricci", "Via Cavour 18", "40121", "Bologna"))

    importer.run([first, second])

    assert customer_of(store, it_main, first.amazon_order_id).id != customer_of(
        store, it_main, second.amazon_order_id).id
    assert site_counts(store)["customers"] == 2
    assert sorted(c["ragione_sociale"] for c in gestionale_db.customers()) == ["Chiara Ricci", "Giuseppe Rossi"]


@pytest.mark.parametrize("buyer", [
    pytest.param(private_buyer("Giuseppe Rossi", None), id="private-without-email"),
    pytest.param(business_buyer("Ottica Zappalà S.r.l.", "IT01234567890"), id="business-with-shared-email"),
])
def test_the_same_buyer_without_a_usable_email_twice_is_one_customer(importer, store, it_main, gestionale_db,
                                                                      buyer):
    is_business = buyer.vat_number is not None
    where = address(buyer.name, "Via XX Settembre 4", "16121", "Genova")
    orders = [amazon_order(business=is_business, buyer=buyer, delivery=where) for _ in range(2)]

    importer.run(orders[:1], run_id="run-1")
    importer.run(orders[1:], run_id="run-2")

    assert customer_of(store, it_main, orders[0].amazon_order_id).id == customer_of(
        store, it_main, orders[1].amazon_order_id).id
    assert site_counts(store)["customers"] == 1
    assert gestionale_db.counts()["clienti"] == 1
    codes = {gestionale_db.document(o.amazon_order_id)["cod_conto"] for o in orders}
    assert codes == {gestionale_db.customers()[0]["codice"]}


def test_an_order_for_a_company_the_gestionale_already_has_elsewhere_names_its_shipping_address(
        importer, standin, gestionale_db):
    standin.store.insert_customer({"codice": "501.00003", "ragione_sociale": "Ottica Zappalà S.r.l.",
                                   # keyed in by hand without the country prefix: still the same company
                                   "gest_per_fisica": "N", "partita_iva": "01234567890", "indirizzo": "Via Roma 1",
                                   "cap": "20121", "localita": "Milano"})
    order = amazon_order(business=True, buyer=business_buyer("Ottica Zappalà S.r.l.", "IT01234567890"),
                         delivery=address("Ottica Zappalà S.r.l.", "Via Etnea 9", "95121", "Catania"))

    importer.run([order])

    document = gestionale_db.document(order.amazon_order_id)
    assert document["cod_conto"] == "501.00003"
    [shipping] = gestionale_db.addresses("501.00003")
    assert shipping["indirizzo"] == "Via Etnea 9"
    assert document.get("id_ind_sped") == shipping["id"]


def test_a_known_buyers_orders_to_their_own_gestionale_address_add_no_shipping_address(
        importer, store, it_main, gestionale_db, site_customer):
    """Proves issue #17 item 2: a customer the gestionale already has, ordering twice to the address of its
    gestionale record, gets no "indirizzo di spedizione" (before, each order added one equal to the main address)."""
    home = address("Maria Verdi", "Via Roma 12", "20121", "Milano", province="MI")
    orders = [amazon_order(buyer=private_buyer("Maria Verdi", "maria.verdi@example.it"), delivery=home)
              for _ in range(2)]

    importer.run(orders[:1], run_id="run-1")
    importer.run(orders[1:], run_id="run-2")

    assert gestionale_db.addresses(SITE_CODE) == []
    for order in orders:
        document = gestionale_db.document(order.amazon_order_id)
        assert document["cod_conto"] == SITE_CODE
        assert document.get("id_ind_sped") is None  # the customer's own address


def test_a_site_address_already_in_the_gestionale_is_reused_by_its_id_without_a_search(
        importer, store, client, it_main, gestionale_db, site_customer, monkeypatch):
    """Proves issue #17 item 2: once a site address has its gestionale id, a later order to it sends that id
    and neither searches nor creates the shipping address again."""
    buyer = private_buyer("Maria Verdi", "maria.verdi@example.it")
    office = address("Maria Verdi", "Corso Vittorio Emanuele II, 5", "47121", "Forlì", province="FC")
    first, second = amazon_order(buyer=buyer, delivery=office), amazon_order(buyer=buyer, delivery=office)
    importer.run([first], run_id="run-1")
    [indirizzo] = gestionale_db.addresses(SITE_CODE)
    stored = site_order(store, it_main, first.amazon_order_id).shipping_address_id
    [site_address] = [a for a in addresses_of(store, site_customer.id) if a.id == stored]
    assert site_address.gestionale_address_id == str(indirizzo["id"])

    searches = []
    find = client.find_shipping_address
    monkeypatch.setattr(client, "find_shipping_address", lambda lookup: searches.append(lookup) or find(lookup))
    importer.run([second], run_id="run-2")

    assert searches == []
    assert gestionale_db.addresses(SITE_CODE) == [indirizzo]
    assert gestionale_db.document(second.amazon_order_id)["id_ind_sped"] == indirizzo["id"]


def test_a_buyer_first_with_email_then_without_is_one_customer_and_the_order_says_how(importer, store, it_main,
                                                                                    gestionale_db):
    home = address("Lucia Galli", "Via Mazzini 8", "40121", "Bologna", province="BO")
    with_email = amazon_order(buyer=private_buyer("Lucia Galli", "lucia.galli@marketplace.amazon.it"), delivery=home)
    without_email = amazon_order(buyer=private_buyer("LUCIA GALLI", None),
                                 delivery=address("Lucia Galli", "via Mazzini, 8", "40121", "Bologna", province="BO"))

    importer.run([with_email], run_id="run-1")
    importer.run([without_email], run_id="run-2")

    assert site_counts(store)["customers"] == 1
    first, second = (customer_of(store, it_main, o.amazon_order_id) for o in (with_email, without_email))
    assert first.id == second.id and second.email == "lucia.galli@marketplace.amazon.it"  # never overwritten
    assert inbox_entry(store, it_main, without_email.amazon_order_id).customer_new is False
    [customer] = gestionale_db.customers()
    for order in (with_email, without_email):
        assert gestionale_db.document(order.amazon_order_id)["cod_conto"] == customer["codice"]
    with store.unit_of_work(read_only=True) as uow:
        notes = [step.message for step in uow.inbox.history(it_main.id, without_email.amazon_order_id)
                 if step.outcome == "recognised"]
        assert not any(step.outcome == "recognised"
                       for step in uow.inbox.history(it_main.id, with_email.amazon_order_id))
    assert notes == ["Cliente riconosciuto da nome e indirizzo: Amazon non ha inviato un'email utilizzabile e "
                     "l'ordine è attribuito al cliente esistente con gli stessi dati"]
