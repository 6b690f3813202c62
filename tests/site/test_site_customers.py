import pytest
from site_builders import ACCOUNT, address, company_buyer, private_buyer

from amazon_passweb.site import CustomerKind, NewCustomer, Origin, SiteStore, UnidentifiableBuyer


def test_new_buyer_is_created_without_login_and_found_by_email(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        match = uow.customers.get_or_create(private_buyer(1), address(1))
    assert match.created and match.matched_by == "new"
    customer = match.customer
    assert customer.name == "Mario Rossi1"
    assert customer.email == "buyer1@marketplace.amazon.it"
    assert customer.can_login is False
    assert customer.origin == Origin.AMAZON
    assert customer.source_account == ACCOUNT
    with store.unit_of_work() as uow:
        found = uow.customers.find_by_email("  BUYER1@Marketplace.Amazon.IT ")
    assert found == customer


def test_existing_customer_is_attached_and_never_overwritten(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        original = uow.customers.get_or_create(private_buyer(1)).customer
    changed = private_buyer(1, name="Someone Else", phone="000", email="Buyer1@marketplace.amazon.it ")
    with store.unit_of_work() as uow:
        match = uow.customers.get_or_create(changed, address(9))
    assert not match.created and match.matched_by == "email"
    assert match.customer == original


def test_shared_business_email_never_merges_different_companies(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        a = uow.customers.get_or_create(company_buyer("IT01234567890"), address(1)).customer
        b = uow.customers.get_or_create(company_buyer("IT09876543210", company="Altra SpA"), address(2)).customer
        again = uow.customers.get_or_create(company_buyer("01234567890"), address(3))
        assert uow.customers.find_by_email("no-reply-amazon-iba-buyer@amazon.it") is None
    assert a.id != b.id
    assert a.kind == CustomerKind.COMPANY and a.company == "Bianchi Forniture S.r.l."
    assert not again.created and again.matched_by == "identity" and again.customer.id == a.id


def test_buyer_without_email_is_matched_by_name_postcode_and_street(store: SiteStore) -> None:
    buyer = private_buyer(1, email=None)
    with store.unit_of_work() as uow:
        first = uow.customers.get_or_create(buyer, address(1)).customer
        same = uow.customers.get_or_create(buyer, address(1, line1="V. Garibaldi, 1", name="MARIO ROSSI1"))
        other = uow.customers.get_or_create(buyer, address(1, postal_code="00100"))
        assert uow.customers.find_by_identity(buyer, address(1)) == first
    assert same.customer.id == first.id and not same.created
    assert other.created and other.customer.id != first.id


def test_a_buyer_known_by_email_is_found_again_by_identity_when_the_email_is_missing(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        first = uow.customers.get_or_create(private_buyer(1), address(1)).customer
    with store.unit_of_work() as uow:
        again = uow.customers.get_or_create(private_buyer(1, email=None), address(1, line1="V. Garibaldi 1"))
        assert uow.customers.find_by_identity(private_buyer(1, email=None), address(1)) == first
    assert not again.created and again.matched_by == "identity" and again.customer == first


def test_a_customer_known_by_email_gets_its_identity_from_its_next_order_with_one(store: SiteStore) -> None:
    with store.unit_of_work() as uow:  # an order without street and postcode: no identity yet
        first = uow.customers.get_or_create(private_buyer(2), None).customer
    with store.unit_of_work() as uow:
        assert uow.customers.find_by_identity(private_buyer(2, email=None), address(2)) is None
        assert uow.customers.get_or_create(private_buyer(2), address(2)).matched_by == "email"
    with store.unit_of_work() as uow:
        again = uow.customers.get_or_create(private_buyer(2, email=None), address(2))
    assert not again.created and again.customer == first  # never modified: only its identity key was added


def test_customers_with_an_email_may_share_an_identity_and_the_oldest_is_found(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        oldest = uow.customers.get_or_create(private_buyer(3), address(3)).customer
        other = uow.customers.get_or_create(private_buyer(3, email="other3@marketplace.amazon.it"), address(3))
        without_email = uow.customers.get_or_create(private_buyer(3, email=None), address(3))
    assert other.created and other.customer.id != oldest.id
    assert not without_email.created and without_email.customer.id == oldest.id


def test_buyer_without_any_identity_is_refused(store: SiteStore) -> None:
    afn_buyer = NewCustomer(kind=CustomerKind.PRIVATE)
    with store.unit_of_work() as uow, pytest.raises(UnidentifiableBuyer):
        uow.customers.get_or_create(afn_buyer, None)


def test_addresses_match_after_normalisation_and_new_ones_are_added(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        customer = uow.customers.get_or_create(private_buyer(1)).customer
        first = uow.customers.get_or_add_address(customer.id, address(1, line1="Viale Città di Castello 12"))
        same = uow.customers.get_or_add_address(customer.id, address(1, line1="v.le citta di castello, 12"))
        other = uow.customers.get_or_add_address(customer.id, address(1, line1="Via Po 3"))
        assert uow.customers.find_address(customer.id, address(1, line1="V.LE CITTÀ DI CASTELLO 12")) == first.address
        listed = uow.customers.addresses(customer.id)
    assert first.created and not same.created and other.created
    assert same.address == first.address
    assert first.address.line1 == "Viale Città di Castello 12"
    assert [a.id for a in listed] == [first.address.id, other.address.id]


def test_gestionale_codes_are_recorded(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        customer = uow.customers.get_or_create(private_buyer(1)).customer
        addr = uow.customers.get_or_add_address(customer.id, address(1)).address
        uow.customers.set_gestionale_code(customer.id, "501.00042")
        uow.customers.set_gestionale_address_id(addr.id, "7")
    with store.unit_of_work() as uow:
        assert uow.customers.get(customer.id).gestionale_code == "501.00042"
        assert uow.customers.get_address(addr.id).gestionale_address_id == "7"


def test_failed_unit_of_work_leaves_nothing(store: SiteStore) -> None:
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        uow.customers.get_or_create(private_buyer(1))
        raise RuntimeError("boom")
    with store.unit_of_work() as uow:
        assert uow.customers.find_by_email("buyer1@marketplace.amazon.it") is None


def test_readers_do_not_wait_for_a_running_writer(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        uow.customers.get_or_create(private_buyer(1))
    with store.unit_of_work() as writer:
        writer.customers.get_or_create(private_buyer(2))  # holds the write lock (SQLite) until the end
        with store.unit_of_work(read_only=True) as reader:
            assert reader.customers.find_by_email("buyer1@marketplace.amazon.it") is not None
            assert reader.customers.find_by_email("buyer2@marketplace.amazon.it") is None  # not committed yet
