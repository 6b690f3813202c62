"""Every error path of the client, against the real stand-in over real sockets."""

from __future__ import annotations

import logging
import socket
import threading

import pytest
from gestionale_builders import PASSWORD, customer, make_settings, order

from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.errors import (
    ConfigurationRefused,
    CredentialsRefused,
    DocumentRefused,
    GestionaleUnavailable,
)
from amazon_passweb.gestionale.mapping import build_customer, build_document
from amazon_passweb.gestionale.push import OrderPush, push_orders


def a_document(client, account, amazon_id="405-0000001-0000001", **overrides):
    code = client.ensure_customer(build_customer(customer()), account.customer_ledgers).key
    return build_document(order(amazon_id, **overrides), account, code)


def test_503_burst_is_waited_out(standin, client, account):
    document = a_document(client, account)
    standin.faults.update(fail_503_next=4)
    assert client.create_document(document, may_exist=False).created
    assert standin.standin.gate.stats["burst_503"] == 4
    assert standin.standin.count_documents() == 1


def test_503_beyond_the_retry_budget_is_unavailable(standin, account):
    client = GestionaleClient(make_settings(standin.base_url, retry_budget_s=0.5), settle_s=0.02)
    document = a_document(client, account)
    standin.faults.update(outage_s=2, outage_mode="503")
    with pytest.raises(GestionaleUnavailable, match="did not answer"):
        client.create_document(document, may_exist=False)
    assert standin.standin.count_documents() == 0


def test_no_server_is_retried_then_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = GestionaleClient(make_settings(f"http://127.0.0.1:{port}/webapi/", retry_budget_s=0.4))
    with pytest.raises(GestionaleUnavailable):
        client.get_article("ART001")


def test_slow_reads_are_retried_then_unavailable(standin):
    client = GestionaleClient(make_settings(standin.base_url, read_timeout_s=0.1, retry_budget_s=0.5))
    standin.faults.update(latency_s=0.3)
    with pytest.raises(GestionaleUnavailable):
        client.get_article("ART001")


def test_wrong_password_stops_at_once_without_retrying(standin, caplog):
    client = GestionaleClient(make_settings(standin.base_url, password="wrong-pw"))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(CredentialsRefused) as refused:
        client.get_article("ART001")
    assert "2002" in str(refused.value) and "stopped" in str(refused.value)
    with pytest.raises(CredentialsRefused):  # the transport refuses to try again
        client.get_article("ART001")
    assert standin.standin.gate.failed_logins == {"webapi": 1}
    for text in (caplog.text, str(refused.value), repr(client), repr(client.settings)):
        assert "wrong-pw" not in text and PASSWORD not in text


def test_locked_user_is_credentials_refused(standin, client):
    standin.standin.gate.failed_logins["webapi"] = 3
    with pytest.raises(CredentialsRefused, match="3002"):
        client.get_article("ART001")


def test_concurrent_push_with_bad_credentials_costs_one_failed_login(standin, account):
    client = GestionaleClient(make_settings(standin.base_url, password="wrong-pw"))
    items = [OrderPush(order(f"405-0000009-{n:07d}", buyer=customer(n))) for n in range(20)]
    with pytest.raises(CredentialsRefused):
        push_orders(client, account, items)
    assert standin.standin.gate.failed_logins == {"webapi": 1}  # not locked (lockout after 3)


def test_refused_coordinates_stop_the_push(standin, account):
    client = GestionaleClient(make_settings(standin.base_url, azienda="NOPE"))
    with pytest.raises(ConfigurationRefused, match="azienda"):
        push_orders(client, account, [OrderPush(order())])


def test_6001_is_a_per_document_error_with_the_detail(standin, client, account):
    document = a_document(client, account)
    document.payload["codice_articolo"][0][1] = "NOPE"
    with pytest.raises(DocumentRefused) as refused:
        client.create_document(document)
    assert refused.value.detail == "Articolo NOPE inesistente"
    assert refused.value.code == "6001"


def test_6001_fails_one_order_and_the_push_goes_on(standin, client, account):
    from gestionale_builders import row

    bad = order("405-0000002-0000001", rows=[row(1, "UNKNOWN-SKU", "10.00")])
    results = push_orders(client, account, [OrderPush(order("405-0000002-0000000")), OrderPush(bad)])
    assert results[0].ok and not results[1].ok
    assert "Articolo UNKNOWN-SKU inesistente" in results[1].error
    assert standin.standin.count_documents() == 1


def test_missing_records_read_as_none(standin, client):
    assert client.get_customer("501.00001") is None
    assert client.get_document("OX+1+1") is None
    assert client.get_article("SPEDEXP")["alq_iva"].strip() == "22,0"


def test_concurrency_never_exceeds_the_cap(standin, account):
    client = GestionaleClient(make_settings(standin.base_url, max_concurrency=5), settle_s=0.02)
    code = client.ensure_customer(build_customer(customer()), account.customer_ledgers).key
    standin.faults.update(latency_s=0.05)
    items = [OrderPush(order(f"405-0000003-{n:07d}"), customer_code=code, may_exist=False) for n in range(40)]
    assert all(result.ok for result in push_orders(client, account, items))
    stats = standin.standin.gate.stats
    assert stats["busy_503"] == 0 and stats["peak_in_flight"] == 5


def test_a_lower_cap_is_respected(standin, account):
    client = GestionaleClient(make_settings(standin.base_url, max_concurrency=2), settle_s=0.02)
    code = client.ensure_customer(build_customer(customer()), account.customer_ledgers).key
    standin.faults.update(latency_s=0.05)
    items = [OrderPush(order(f"405-0000004-{n:07d}"), customer_code=code) for n in range(10)]
    assert all(result.ok for result in push_orders(client, account, items))
    assert standin.standin.gate.stats["peak_in_flight"] == 2


def test_clients_of_one_user_share_the_limit_of_five(standin, account):
    clients = [
        GestionaleClient(make_settings(standin.base_url, max_concurrency=4), settle_s=0.02) for _ in "ab"
    ]
    code = clients[0].ensure_customer(build_customer(customer()), account.customer_ledgers).key
    standin.faults.update(latency_s=0.05)
    batches = [
        [OrderPush(order(f"405-000000{c}-{n:07d}"), customer_code=code) for n in range(12)] for c in (5, 6)
    ]
    threads = [
        threading.Thread(target=push_orders, args=(client, account, batch))
        for client, batch in zip(clients, batches, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = standin.standin.gate.stats
    assert standin.standin.count_documents() == 24
    assert stats["busy_503"] == 0 and stats["peak_in_flight"] == 5


def test_settings_refuse_more_than_five():
    with pytest.raises(ValueError, match="between 1 and 5"):
        make_settings("http://x/webapi/", max_concurrency=6)
