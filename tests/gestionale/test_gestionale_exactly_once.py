"""Unknown outcomes (answer lost after commit, timeouts, crashes) never duplicate a record."""

from __future__ import annotations

import datetime as dt
import time

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


def test_a_later_push_racing_late_commits_finds_them_and_sends_nothing_again(standin, account):
    """The first push's documents all commit late (after its read timeout and its search); a second push
    starts while they are still landing, a third once they have all landed. Nothing is sent twice: the
    second finds those already committed and leaves the others uncertain, the third finds them all."""
    client = GestionaleClient(make_settings(standin.base_url, read_timeout_s=0.3, max_concurrency=2),
                              settle_s=0.1)
    code = client.ensure_customer(build_customer(customer()), account.customer_ledgers).key
    ids = [f"405-5555555-{n:07d}" for n in range(6)]
    standin.faults.update(commit_late_next=len(ids), commit_late_s=1.2)
    first = push_orders(client, account, [OrderPush(order(i), customer_code=code, may_exist=False) for i in ids])
    assert all(r.uncertain is not None and r.uncertain.target == "document" for r in first), [r.error for r in first]
    last_commit_at = max(r.uncertain.posted_at for r in first) + dt.timedelta(seconds=1.2)

    def retry() -> list:  # as the next runs push them: the site passes each uncertain POST's time back
        return push_orders(client, account, [OrderPush(order(i), customer_code=code,
                                                       uncertain_document=r.uncertain.posted_at)
                                             for i, r in zip(ids, first, strict=True)])

    racing = retry()
    assert not any(r.document_created for r in racing)
    assert all(r.ok or r.uncertain is not None for r in racing), [r.error for r in racing]
    time.sleep(max(0.0, (last_commit_at - dt.datetime.now(dt.UTC)).total_seconds()) + 0.3)
    settled = retry()
    assert all(r.ok and not r.document_created for r in settled), [r.error for r in settled]
    assert standin.standin.count_documents() == len(ids)
    for amazon_id in ids:
        assert standin.standin.count_documents(rif_nr_attuale=amazon_id) == 1


def test_a_create_lost_before_commit_is_not_sent_again_before_the_wait(standin, account):
    """The answer is lost and nothing is stored: the push does not send it again, nor does a later push
    within ``uncertain_wait_s`` of that POST; once the wait has passed it is created, once."""
    client = GestionaleClient(make_settings(standin.base_url, read_timeout_s=0.3, uncertain_wait_s=1.5),
                              settle_s=0.05)
    code = client.ensure_customer(build_customer(customer()), account.customer_ledgers).key
    standin.faults.update(drop_before_commit_next=1)
    item = OrderPush(order(AMAZON_ID), customer_code=code, may_exist=False)
    parked = push_order(client, account, item)
    assert not parked.ok and parked.uncertain is not None and "UncertainCreate" in parked.error
    assert parked.uncertain.recreate_after == parked.uncertain.posted_at + dt.timedelta(seconds=1.5)
    assert standin.standin.count_documents() == 0
    requests_before = standin.standin.gate.stats["requests"]
    again = push_order(client, account, OrderPush(item.order, customer_code=code,
                                                  uncertain_document=parked.uncertain.posted_at))
    assert again.uncertain is not None and again.uncertain.posted_at == parked.uncertain.posted_at
    assert standin.standin.gate.stats["requests"] == requests_before + 1, "one search, no create"
    time.sleep(max(0.0, (parked.uncertain.recreate_after - dt.datetime.now(dt.UTC)).total_seconds()))
    created = push_order(client, account, OrderPush(item.order, customer_code=code,
                                                    uncertain_document=parked.uncertain.posted_at))
    assert created.ok and created.document_created
    assert standin.standin.count_documents() == 1


def test_a_create_whose_search_fails_too_stays_uncertain(standin, account):
    """An outage longer than the retry budget drops the create and then its search: the outcome is just
    as uncertain, so the order is parked, not sent again."""
    client = GestionaleClient(make_settings(standin.base_url, retry_budget_s=0.3), settle_s=0.01)
    code = client.ensure_customer(build_customer(customer()), account.customer_ledgers).key
    standin.faults.update(outage_s=3)
    result = push_order(client, account, OrderPush(order(AMAZON_ID), customer_code=code, may_exist=False))
    assert not result.ok and result.uncertain is not None, result.error
    assert "the search failed too (GestionaleUnavailable" in result.error
    standin.faults.update(outage_s=0)
    assert standin.standin.count_documents() == 0


def test_an_outage_past_the_retry_budget_stops_the_push_after_the_orders_in_flight(standin, account):
    """The first orders wait out their retry budget; the rest are not tried (each would wait as long) and
    fail at once as unreachable. The next push, the gestionale back, stores every one exactly once."""
    client = GestionaleClient(make_settings(standin.base_url, retry_budget_s=0.5), settle_s=0.01)
    code = client.ensure_customer(build_customer(customer()), account.customer_ledgers).key
    items = [OrderPush(order(f"405-4444444-{n:07d}"), customer_code=code) for n in range(21)]
    standin.faults.update(outage_s=600, outage_mode="503")

    results = push_orders(client, account, items)

    tried = [r for r in results if "not tried" not in (r.error or "")]
    assert not any(r.ok for r in results)
    assert all(r.error.startswith("GestionaleUnavailable") for r in results)
    assert 1 <= len(tried) <= client.settings.max_concurrency, [r.error for r in tried]
    assert standin.standin.count_documents() == 0
    standin.faults.update(outage_s=0)
    again = push_orders(client, account, [OrderPush(i.order, customer_code=code) for i in items])
    assert all(r.ok for r in again), [r.error for r in again if not r.ok]
    assert standin.standin.count_documents() == 21


def test_connections_dropped_past_the_retry_budget_stop_the_push_too(standin, account):
    client = GestionaleClient(make_settings(standin.base_url, retry_budget_s=0.5), settle_s=0.01)
    items = [OrderPush(order(f"405-5555555-{n:07d}", buyer=customer(n))) for n in range(12)]
    standin.faults.update(outage_s=600, outage_mode="drop")

    results = push_orders(client, account, items)

    tried = [r for r in results if "not tried" not in (r.error or "")]
    assert not any(r.ok for r in results) and 1 <= len(tried) <= client.settings.max_concurrency
    standin.faults.update(outage_s=0)
    assert standin.standin.count_documents() == 0 and standin.standin.count_customers() == 0
