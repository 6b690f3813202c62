import logging
from datetime import UTC, datetime, timedelta

from site_builders import ACCOUNT, address, company_buyer, order, private_buyer

from amazon_passweb.orchestration.purge_tasks import purge as purge_task
from amazon_passweb.site import InboxItem, InboxStatus, Origin, SiteStore, purge_buyer_data
from amazon_passweb.site.purge import orders_awaiting_purge

# The purge runs in the future (its ``now``): what is stored today is old by then.
NOW = datetime.now(UTC) + timedelta(days=90)
LONG_AGO = NOW - timedelta(days=60)


def _import(store: SiteStore, amazon_id: str, buyer, ship_to, ended_at=None) -> tuple[int, int, int]:
    """An imported order; ``ended_at``: its life ended then, as the shipment step records it (every
    flow reaching an end is in tests/shipments/test_retention.py)."""
    with store.unit_of_work() as uow:
        customer = uow.customers.get_or_create(buyer, ship_to).customer
        addr = uow.customers.get_or_add_address(customer.id, ship_to).address
        created = uow.orders.create(order(amazon_id, customer_id=customer.id, address_id=addr.id)).order
        uow.inbox.upsert(ACCOUNT, InboxItem(amazon_id, LONG_AGO, {"buyer": "personal data"}))
        uow.inbox.mark(ACCOUNT, amazon_id, InboxStatus.IMPORTED, order_id=created.id)
        if ended_at is not None:
            uow.orders.end_life(created.id, ended_at)
    return customer.id, addr.id, created.id


def test_purge_erases_buyer_data_of_orders_delivered_long_ago(store: SiteStore) -> None:
    old_c, old_a, old_o = _import(store, "OLD", private_buyer(1), address(1), ended_at=NOW - timedelta(days=31))
    new_c, new_a, new_o = _import(store, "NEW", private_buyer(2), address(2), ended_at=NOW - timedelta(days=5))
    open_c, _, _ = _import(store, "OPEN", private_buyer(3), address(3))  # not delivered yet

    report = purge_buyer_data(store, older_than_days=30, now=NOW)

    assert (report.orders, report.inbox_payloads, report.addresses, report.customers) == (1, 1, 1, 1)
    with store.unit_of_work() as uow:
        purged = uow.customers.get(old_c)
        assert purged.email is None and purged.name is None and purged.phone is None
        assert purged.pii_purged_at == NOW
        assert uow.customers.find_by_email("buyer1@marketplace.amazon.it") is None
        purged_address = uow.customers.get_address(old_a)
        assert purged_address.line1 is None and purged_address.name is None
        assert purged_address.country_code == "IT"
        kept_order = uow.orders.get(old_o)  # the document stays, for the tax records
        assert kept_order.pii_purged_at == NOW and kept_order.rows and kept_order.number == 1
        assert uow.inbox.get(ACCOUNT, "OLD").payload is None
        # Recent and open orders keep everything.
        assert uow.customers.get(new_c).email == "buyer2@marketplace.amazon.it"
        assert uow.customers.get(open_c).name == "Mario Rossi3"
        assert uow.inbox.get(ACCOUNT, "NEW").payload == {"buyer": "personal data"}

    again = purge_buyer_data(store, older_than_days=30, now=NOW)
    assert (again.orders, again.inbox_payloads, again.addresses, again.customers) == (0, 0, 0, 0)


def test_a_customer_with_a_live_order_keeps_its_data(store: SiteStore) -> None:
    c1, _, _ = _import(store, "OLD", private_buyer(1), address(1), ended_at=LONG_AGO)
    c2, _, _ = _import(store, "LIVE", private_buyer(1), address(1))  # same buyer, new order
    assert c1 == c2
    report = purge_buyer_data(store, now=NOW)
    assert (report.orders, report.customers, report.addresses) == (1, 0, 0)
    with store.unit_of_work() as uow:
        assert uow.customers.get(c1).email == "buyer1@marketplace.amazon.it"


def test_a_company_keeps_name_and_vat_number(store: SiteStore) -> None:
    company_id, _, _ = _import(store, "B2B", company_buyer(), address(1), ended_at=LONG_AGO)
    purge_buyer_data(store, now=NOW)
    with store.unit_of_work() as uow:
        company = uow.customers.get(company_id)
        again = uow.customers.get_or_create(company_buyer(), address(7))
    assert company.company == "Bianchi Forniture S.r.l." and company.vat_number == "IT01234567890"
    assert company.name is None  # the contact person is personal data
    assert again.customer.id == company_id  # still found by VAT number


def test_site_customers_are_never_purged(store: SiteStore) -> None:
    site_customer = private_buyer(1, origin=Origin.SITE, can_login=True)
    customer_id, _, _ = _import(store, "S-1", site_customer, address(1, origin=Origin.SITE), ended_at=LONG_AGO)
    report = purge_buyer_data(store, now=NOW)
    assert report.customers == 0 and report.addresses == 0
    with store.unit_of_work() as uow:
        assert uow.customers.get(customer_id).email == "buyer1@marketplace.amazon.it"


def test_the_earliest_end_counts_and_an_open_order_never_expires(store: SiteStore, monkeypatch) -> None:
    _, _, ended = _import(store, "ENDED", private_buyer(1), address(1), ended_at=NOW - timedelta(days=5))
    _import(store, "OPEN", private_buyer(2), address(2))
    with store.unit_of_work() as uow:
        uow.orders.end_life(ended, NOW - timedelta(days=40))  # Amazon: delivered before the assumed date
        uow.orders.end_life(ended, NOW)  # a later date never moves the clock forward
    monkeypatch.setattr("amazon_passweb.site.purge.utcnow", lambda: NOW)
    assert orders_awaiting_purge(store) == 1
    assert purge_buyer_data(store).orders == 1
    assert orders_awaiting_purge(store) == 0
    assert purge_buyer_data(store, now=NOW + timedelta(days=3650)).orders == 0  # OPEN: never
    with store.unit_of_work() as uow:
        assert uow.orders.get(ended).pii_purged_at == NOW


def test_the_scheduled_purge_opens_the_site_database_and_logs_counts_only(store, pii_key, monkeypatch, caplog,
                                                                          capsys):
    """The purge DAG's task, as a worker runs it: the database from its URL, the key from the environment."""
    now = NOW
    monkeypatch.setattr("amazon_passweb.site.purge.utcnow", lambda: now)  # the clock the purge reads
    _import(store, "OLD", private_buyer(1), address(1), ended_at=now - timedelta(days=31))
    _import(store, "NEW", private_buyer(2), address(2), ended_at=now - timedelta(days=2))
    monkeypatch.setenv("SITE_PII_KEY", pii_key)
    caplog.set_level(logging.DEBUG)

    counts = purge_task(30, url=store.engine.url.render_as_string(hide_password=False))

    assert counts == {"orders": 1, "inbox_payloads": 1, "addresses": 1, "customers": 1}
    logged = caplog.text + capsys.readouterr().out  # once Airflow is imported its logging prints to stdout
    assert "1 orders past 30 days after delivery" in logged
    assert "erased from 1 orders, 1 inbox payloads, 1 addresses, 1 customers" in logged
    for personal in ("buyer1@", "Mario Rossi", "Garibaldi", "20121"):
        assert personal not in logged
    with store.unit_of_work() as uow:
        assert uow.inbox.get(ACCOUNT, "OLD").payload is None
        assert uow.inbox.get(ACCOUNT, "NEW").payload == {"buyer": "personal data"}
