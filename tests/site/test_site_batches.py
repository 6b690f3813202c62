"""The batch forms of the repositories, as the import steps use them: a page or a batch of orders
in a few statements, with the same answers the one-order forms give, order by order."""

from datetime import UTC, datetime, timedelta

import pytest
from site_builders import ACCOUNT, address, company_buyer, order, private_buyer
from sqlalchemy import func, select

from amazon_passweb.site import InboxItem, InboxStatus, NotFound, OrderState, SiteStore, UpsertResult
from amazon_passweb.site.errors import StateConflict
from amazon_passweb.site.models import Address, Customer, InboxHistory, Order, OrderRow
from amazon_passweb.site.orders import OrderRepository
from amazon_passweb.site.records import InboxMark, ReconciledEntry

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _item(order_id: str, when: datetime = T0, status: str = "UNSHIPPED") -> InboxItem:
    return InboxItem(order_id, when, {"orderId": order_id, "status": status}, marketplace_id="APJ6JRA9NG5V4",
                     amazon_status=status)


def _count(store: SiteStore, model) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_page_is_upserted_with_one_result_per_order_in_page_order(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        uow.inbox.upsert(ACCOUNT, _item("B"))
        uow.inbox.upsert(ACCOUNT, _item("C", T0 + timedelta(hours=2)))
    page = [
        _item("A"),  # new
        _item("B", T0 + timedelta(hours=1), "SHIPPED"),  # a newer version
        _item("C", T0 + timedelta(hours=1)),  # older than the stored one
        _item("D"), _item("D", T0 + timedelta(minutes=5), "SHIPPED"),  # twice in one page: the newer wins
    ]
    with store.unit_of_work() as uow:
        results = uow.inbox.upsert_many(ACCOUNT, page)
        stored = {e.amazon_order_id: e for e in uow.inbox.entries(ACCOUNT)}
    assert results == [UpsertResult.INSERTED, UpsertResult.UPDATED, UpsertResult.UNCHANGED,
                       UpsertResult.UNCHANGED, UpsertResult.INSERTED]
    assert stored["B"].amazon_status == "SHIPPED" and stored["B"].payload["status"] == "SHIPPED"
    assert stored["C"].last_update == T0 + timedelta(hours=2)
    assert stored["D"].amazon_status == "SHIPPED" and stored["D"].last_update == T0 + timedelta(minutes=5)
    with store.unit_of_work() as uow:
        assert uow.inbox.upsert_many(ACCOUNT, []) == []


def test_marks_of_a_batch_set_each_status_and_append_one_history_step_each(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        uow.inbox.upsert_many(ACCOUNT, [_item(i) for i in ("A", "B", "C", "D")])
        uow.inbox.mark(ACCOUNT, "C", InboxStatus.FAILED, message="prima")
    with store.unit_of_work() as uow:
        uow.inbox.mark_many(ACCOUNT, [
            InboxMark("A", InboxStatus.SELECTED),
            InboxMark("B", InboxStatus.SKIPPED, "stato Amazon PENDING non tra gli stati importati"),
            InboxMark("C", InboxStatus.FAILED, "SKU sconosciuto XYZ"),
            InboxMark("D", InboxStatus.IMPORTED, "ordine sito 2/7 creato", order_id=None),
        ], run_id="run-1")
        entries = {e.amazon_order_id: e for e in uow.inbox.entries(ACCOUNT)}
        history = uow.inbox.run_history(ACCOUNT, "run-1")
    assert {k: e.status for k, e in entries.items()} == {
        "A": InboxStatus.SELECTED, "B": InboxStatus.SKIPPED, "C": InboxStatus.FAILED, "D": InboxStatus.IMPORTED}
    assert entries["C"].attempts == 2 and entries["C"].last_error == "SKU sconosciuto XYZ"
    assert entries["A"].attempts == 0 and entries["A"].last_error is None
    assert [(h.amazon_order_id, h.outcome, h.message) for h in history] == [
        ("A", "selected", None),
        ("B", "skipped", "stato Amazon PENDING non tra gli stati importati"),
        ("C", "failed", "SKU sconosciuto XYZ"),
        ("D", "imported", "ordine sito 2/7 creato"),
    ]


def test_marking_an_order_missing_from_the_inbox_is_refused(store: SiteStore) -> None:
    with pytest.raises(NotFound, match="171-missing"), store.unit_of_work() as uow:
        uow.inbox.mark_many(ACCOUNT, [InboxMark("171-missing", InboxStatus.SELECTED)])
    assert _count(store, InboxHistory) == 0


def test_reconciled_batch_records_customer_and_address(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        uow.inbox.upsert_many(ACCOUNT, [_item("A"), _item("B")])
        customer = uow.customers.get_or_create(private_buyer(1), address(1)).customer
        addr = uow.customers.get_or_add_address(customer.id, address(1)).address
        uow.inbox.mark_reconciled_many(ACCOUNT, [
            ReconciledEntry("A", customer.id, True, addr.id, True),
            ReconciledEntry("B"),  # an AFN order without buyer data
        ], run_id="run-1")
        a, b = uow.inbox.get(ACCOUNT, "A"), uow.inbox.get(ACCOUNT, "B")
    assert (a.status, a.customer_id, a.customer_new, a.shipping_address_id, a.address_new) == (
        InboxStatus.RECONCILED, customer.id, True, addr.id, True)
    assert (b.status, b.customer_id, b.shipping_address_id) == (InboxStatus.RECONCILED, None, None)


def test_a_batch_of_buyers_finds_existing_ones_and_creates_each_new_one_once(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        known = uow.customers.get_or_create(private_buyer(1), address(1)).customer
    shared_email_company = company_buyer()  # Amazon Business relay address: identified by VAT
    buyers = [
        private_buyer(2),
        private_buyer(1, email="BUYER1@marketplace.amazon.it "),  # the known one, written differently
        private_buyer(2, name="Mario Rossi"),  # the same new buyer again (same email)
        shared_email_company,
        private_buyer(3, email=None),  # no email: name + postcode + street
    ]
    addresses = [address(2), address(1), address(2), address(4), address(3)]
    with store.unit_of_work() as uow:
        keys = [uow.customers.buyer_key(b, a) for b, a in zip(buyers, addresses, strict=True)]
        resolved = uow.customers.get_or_create_many(list(zip(buyers, keys, strict=True)))
    assert [k.matched_by for k in keys] == ["email", "email", "email", "identity", "identity"]
    assert [r.created for r in resolved] == [True, False, False, True, True]
    assert resolved[1].id == known.id
    assert resolved[0].id == resolved[2].id
    assert len({r.id for r in resolved}) == 4
    assert _count(store, Customer) == 4
    with store.unit_of_work() as uow:
        again = uow.customers.get_or_create_many(list(zip(buyers, keys, strict=True)))
        stored = uow.customers.get(resolved[0].id)
    assert [r.id for r in again] == [r.id for r in resolved] and not any(r.created for r in again)
    assert stored.name == "Mario Rossi2" and stored.can_login is False  # the first order's data, never changed


def test_a_batch_of_addresses_adds_each_new_one_once_per_customer(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        first = uow.customers.get_or_create(private_buyer(1)).customer.id
        second = uow.customers.get_or_create(private_buyer(2)).customer.id
        known = uow.customers.get_or_add_address(first, address(1)).address.id
        resolved = uow.customers.get_or_add_addresses([
            (first, address(1, line1="VIA GARIBALDI, 1")),  # the known one, written differently
            (first, address(5)),
            (second, address(1)),  # the same street for another customer is that customer's own address
            (first, address(5)),
        ])
    assert [r.created for r in resolved] == [False, True, True, False]
    assert resolved[0].id == known and resolved[1].id == resolved[3].id
    assert len({known, resolved[1].id, resolved[2].id}) == 3
    assert _count(store, Address) == 3


def test_a_customers_new_addresses_are_added_in_the_order_of_their_orders(store: SiteStore) -> None:
    """The first is the customer's home in the gestionale (importer.partial_push), whatever the hashes say."""
    streets = [f"Via Numero {n}" for n in (9, 3, 7, 1, 5, 8, 2)]
    with store.unit_of_work() as uow:
        customer = uow.customers.get_or_create(private_buyer(1)).customer.id
        uow.customers.get_or_add_addresses([(customer, address(1, line1=street)) for street in streets])
        stored = uow.customers.addresses(customer)
    assert [a.line1 for a in stored] == streets


def test_a_batch_of_orders_takes_the_next_numbers_and_returns_existing_ones(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        earlier = uow.orders.create(order("171-0"))
        placed = uow.orders.create_many([
            order("171-1"),
            order("171-0"),  # created by an earlier run
            order("171-2", state=OrderState.INCOMPLETO_AFN),
            order("171-3", sezionale=5),
        ])
        rows = uow.orders.rows(placed[0].id)
    assert [(p.sezionale, p.number, p.created) for p in placed] == [(2, 2, True), (2, 1, False), (2, 3, True),
                                                                     (5, 1, True)]
    assert placed[1].id == earlier.order.id
    assert placed[2].state is OrderState.INCOMPLETO_AFN
    assert rows == order("171-1").rows
    assert _count(store, Order) == 4 and _count(store, OrderRow) == 4 * len(order().rows)
    with store.unit_of_work() as uow:
        assert uow.orders.create(order("171-4")).order.number == 4  # the counter moved past the batch
        assert uow.orders.create_many([]) == []


def test_a_batch_with_a_malformed_order_or_an_order_twice_is_refused_whole(store: SiteStore) -> None:
    bad = order("171-2", rows=(order().rows[1], order().rows[1]))  # two rows numbered 2
    with pytest.raises(ValueError, match="duplicate row"), store.unit_of_work() as uow:
        uow.orders.create_many([order("171-1"), bad])
    with pytest.raises(ValueError, match="twice"), store.unit_of_work() as uow:
        uow.orders.create_many([order("171-1"), order("171-1")])
    assert _count(store, Order) == 0


def test_an_insert_conflict_falls_back_to_one_order_at_a_time(store: SiteStore, monkeypatch) -> None:
    """Should another creator slip an order in unseen, the batch still ends with one order each, no gaps."""
    with store.unit_of_work() as uow:
        uow.orders.create(order("171-1"))
    monkeypatch.setattr(OrderRepository, "_existing", lambda self, orders: {})  # blind to the existing order
    with store.unit_of_work() as uow:
        placed = uow.orders.create_many([order("171-1"), order("171-2")])
    assert [(p.number, p.created) for p in placed] == [(1, False), (2, True)]
    with store.engine.connect() as conn:
        assert conn.execute(select(Order.number).order_by(Order.number)).scalars().all() == [1, 2]


def test_entries_page_from_where_the_last_page_ended_in_update_order(store: SiteStore) -> None:
    """Equal update times are ordered by arrival; a page starts right after the previous one's last entry."""
    times = [T0 + timedelta(minutes=m) for m in (5, 1, 3, 3, 3, 9, 0)]
    with store.unit_of_work() as uow:
        uow.inbox.upsert_many(ACCOUNT, [_item(f"171-{i}", when) for i, when in enumerate(times)])
    expected = ["171-6", "171-1", "171-2", "171-3", "171-4", "171-0", "171-5"]
    seen, after = [], None
    with store.unit_of_work(read_only=True) as uow:
        while page := uow.inbox.entries(ACCOUNT, statuses=[InboxStatus.NEW], limit=2, after=after):
            seen += [e.amazon_order_id for e in page]
            after = page[-1].position
    assert seen == expected


def test_orders_entries_and_customer_codes_load_by_batch_as_one_at_a_time(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        customer = uow.customers.get_or_create(private_buyer(1), address(1)).customer
        uow.customers.set_gestionale_code(customer.id, "501.00042")
        placed = uow.orders.create_many([order("171-1", customer_id=customer.id), order("171-2")])
        uow.inbox.upsert_many(ACCOUNT, [_item("171-1"), _item("171-2")])
    ids = [p.id for p in placed]
    with store.unit_of_work(read_only=True) as uow:
        one_by_one = {i: uow.orders.get(i) for i in ids}
        assert uow.orders.many(ids) == one_by_one
        assert uow.orders.by_state(OrderState.REGISTRATO, account=ACCOUNT) == [one_by_one[i] for i in ids]
        assert uow.orders.many([]) == {}
        assert uow.customers.gestionale_codes([customer.id, customer.id]) == {customer.id: "501.00042"}
        with_payload = uow.inbox.many(ACCOUNT, ["171-1", "171-2", "missing"])
        without = uow.inbox.many(ACCOUNT, ["171-1", "171-2"], with_payload=False)
        paged = uow.inbox.entries(ACCOUNT, with_payload=False)
    assert with_payload["171-1"].payload == {"orderId": "171-1", "status": "UNSHIPPED"}
    assert "missing" not in with_payload
    assert {k: e.payload for k, e in without.items()} == {"171-1": None, "171-2": None}
    assert without["171-1"].status == with_payload["171-1"].status and [e.payload for e in paged] == [None, None]


def test_customers_and_their_addresses_load_by_batch_as_one_at_a_time(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        first = uow.customers.get_or_create(private_buyer(1), address(1)).customer
        second = uow.customers.get_or_create(company_buyer(), address(2)).customer
        lonely = uow.customers.get_or_create(private_buyer(3)).customer  # no address at all
        home = uow.customers.get_or_add_address(first.id, address(1)).address
        other = uow.customers.get_or_add_address(first.id, address(4, line1="Via Roma 4")).address
        office = uow.customers.get_or_add_address(second.id, address(2)).address
    with store.unit_of_work(read_only=True) as uow:
        ids = [first.id, second.id, lonely.id, first.id]
        assert uow.customers.many(ids) == {i: uow.customers.get(i) for i in set(ids)}
        assert uow.customers.many([]) == {} and uow.customers.many([10_000]) == {}
        by_customer = uow.customers.addresses_of(ids)
        assert by_customer == {i: uow.customers.addresses(i) for i in set(ids)}
        assert [a.id for a in by_customer[first.id]] == [home.id, other.id]  # in the order they were added
        assert by_customer[lonely.id] == []
        wanted = [office.id, home.id, other.id]
        assert uow.customers.addresses_by_id(wanted) == {i: uow.customers.get_address(i) for i in wanted}
        assert uow.customers.addresses_by_id([]) == {}


def test_status_changes_of_a_page_update_each_order_as_one_at_a_time(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        ids = {n: uow.orders.create(order(n)).order.id for n in ("A", "B", "C")}
        uow.orders.end_life(ids["C"], T0 - timedelta(days=3))
    with store.unit_of_work() as uow:
        found = uow.orders.find_many(ACCOUNT, ["A", "C", "missing", "A"])
        assert {n: o.id for n, o in found.items()} == {"A": ids["A"], "C": ids["C"]}
        assert found["A"] == uow.orders.find(ACCOUNT, "A"), "the same record, rows included"
        assert uow.orders.find_many("other", ["A"]) == {} and uow.orders.find_many(ACCOUNT, []) == {}
        uow.orders.record_amazon_statuses({ids["A"]: "SHIPPED", ids["B"]: "CANCELED", ids["C"]: "SHIPPED"})
        uow.orders.end_life_many([ids["A"], ids["C"]], T0)  # C's earlier date is kept
        uow.orders.set_state_many([ids["A"], ids["B"]], OrderState.ANNULLATO, expected=[OrderState.REGISTRATO])
        uow.orders.set_state_many([], OrderState.ANNULLATO, expected=[OrderState.REGISTRATO])
    with store.unit_of_work(read_only=True) as uow:
        after = uow.orders.many(ids.values())
    assert [after[ids[n]].amazon_status_latest for n in "ABC"] == ["SHIPPED", "CANCELED", "SHIPPED"]
    assert after[ids["A"]].life_ended_at == T0 and after[ids["C"]].life_ended_at == T0 - timedelta(days=3)
    assert after[ids["B"]].life_ended_at is not None, "Annullato ends the order's life"
    assert [after[ids[n]].state for n in "ABC"] == [OrderState.ANNULLATO, OrderState.ANNULLATO,
                                                     OrderState.REGISTRATO]


def test_a_batch_state_change_from_an_unexpected_state_is_refused(store: SiteStore) -> None:
    with store.unit_of_work() as uow:
        ids = [uow.orders.create(order(n)).order.id for n in ("A", "B")]
        uow.orders.set_state(ids[1], OrderState.ANNULLATO)
    with pytest.raises(StateConflict), store.unit_of_work() as uow:
        uow.orders.set_state_many(ids, OrderState.ANNULLATO, expected=[OrderState.REGISTRATO])
    with store.unit_of_work(read_only=True) as uow:
        assert uow.orders.get(ids[0]).state is OrderState.REGISTRATO, "the whole transaction rolled back"
