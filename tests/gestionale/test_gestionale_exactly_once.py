"""Unknown outcomes (answer lost after commit, timeouts, crashes) never duplicate a record."""

from __future__ import annotations

import threading

from gestionale_builders import customer, make_settings, order
from gestionale_builders import shipping as shipping_address

from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.mapping import build_customer, build_document
from amazon_passweb.gestionale.push import OrderPush, push_order, push_orders

AMAZON_ID = "405-1111111-2222222"


def test_repeated_drops_after_commit_leave_one_document_and_one_customer(standin, client, account):
    standin.faults.update(drop_after_commit_next=1000)  # every create commits, then its answer is lost
    item = OrderPush(order(AMAZON_ID, shipping=shipping_address()), may_exist=False)
    result = push_order(client, account, item)
    assert result.ok and result.document_created and result.customer_created, result.error
    assert result.shipping_address_id is not None
    # the importer retries the same order after a crash, and again
    for _ in range(2):
        again = push_order(client, account, OrderPush(item.order, may_exist=True))
        assert again.document_key == result.document_key and not again.document_created
        assert again.customer_code == result.customer_code and not again.customer_created
    assert standin.standin.count_documents(rif_nr_attuale=AMAZON_ID) == 1
    assert standin.standin.count_customers() == 1
    assert standin.standin.count_addresses() == 1


def test_timeout_after_commit_is_searched_not_resent(standin, account):
    client = GestionaleClient(make_settings(standin.base_url, read_timeout_s=0.2), settle_s=0.05)
    code = client.ensure_customer(build_customer(customer()), account.customer_ledgers).key
    standin.faults.update(hang_after_commit_next=3, hang_s=0.5)
    created = client.create_document(build_document(order(AMAZON_ID), account, code), may_exist=False)
    assert created.created
    assert standin.standin.count_documents(rif_nr_attuale=AMAZON_ID) == 1


def test_a_document_sent_before_a_crash_is_found_first(standin, client, account):
    code = client.ensure_customer(build_customer(customer()), account.customer_ledgers).key
    first = client.create_document(build_document(order(AMAZON_ID), account, code), may_exist=False)
    # the process died before recording the key: the next run knows only that it may have sent it
    again = client.create_document(build_document(order(AMAZON_ID), account, code))
    assert again.key == first.key and not again.created
    assert standin.standin.count_documents(rif_nr_attuale=AMAZON_ID) == 1


def test_orders_of_one_new_customer_in_one_push_create_it_once(standin, client, account):
    standin.faults.update(latency_s=0.02, drop_after_commit_next=3)
    items = [OrderPush(order(f"405-3333333-{n:07d}")) for n in range(8)]
    results = push_orders(client, account, items)
    assert all(r.ok for r in results) and len({r.customer_code for r in results}) == 1
    assert standin.standin.count_customers() == 1 and standin.standin.count_documents() == 8


def test_outage_window_during_a_push(standin, client, account):
    standin.faults.update(outage_s=0.8)
    items = [OrderPush(order(f"405-4444444-{n:07d}", buyer=customer(n))) for n in range(5)]
    results = push_orders(client, account, items)
    assert all(r.ok for r in results), [r.error for r in results]
    for n in range(5):
        assert standin.standin.count_documents(rif_nr_attuale=f"405-4444444-{n:07d}") == 1
    assert standin.standin.count_customers() == 5


def test_two_pushes_racing_on_the_same_orders_do_not_duplicate_documents(standin, client, account):
    """Two threads pushing the same already-sent orders (may_exist) only find them."""
    items = [OrderPush(order(f"405-5555555-{n:07d}")) for n in range(4)]
    push_orders(client, account, items)
    threads = [threading.Thread(target=push_orders, args=(client, account, items)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert standin.standin.count_documents() == 4 and standin.standin.count_customers() == 1


def test_lost_answers_beyond_the_budget_give_up_without_duplicates(standin, account):
    client = GestionaleClient(make_settings(standin.base_url, max_unknown_outcomes=2), settle_s=0.01)
    code = client.ensure_customer(build_customer(customer()), account.customer_ledgers).key
    standin.faults.update(drop_before_commit_next=2)  # lost before anything is stored, searches answer
    result = push_order(client, account, OrderPush(order(AMAZON_ID), customer_code=code, may_exist=False))
    assert not result.ok and "GestionaleUnavailable" in result.error and "2 answers" in result.error
    assert standin.standin.count_documents() == 0
    # the next push stores it, once
    assert push_order(client, account, OrderPush(order(AMAZON_ID), customer_code=code)).document_created
    assert standin.standin.count_documents() == 1


def test_searches_through_an_outage_longer_than_the_budget_give_up(standin, account):
    client = GestionaleClient(make_settings(standin.base_url, retry_budget_s=0.3), settle_s=0.01)
    code = client.ensure_customer(build_customer(customer()), account.customer_ledgers).key
    standin.faults.update(outage_s=3)
    result = push_order(client, account, OrderPush(order(AMAZON_ID), customer_code=code, may_exist=False))
    assert not result.ok and "GestionaleUnavailable" in result.error
    standin.faults.update(outage_s=0)
    assert standin.standin.count_documents() == 0
