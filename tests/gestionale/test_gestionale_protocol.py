"""The client against the published WebAPI rules that the first version got wrong: transient codes,
a busy pool, hex keys, TLS with a private CA, both customer-code modes. Real stand-in, real sockets."""

from __future__ import annotations

import pytest
from gestionale_builders import AZIENDA, DOMINIO, PASSWORD, USER, customer, make_settings, order

from amazon_passweb.gestionale.client import GestionaleClient, key_from_location, key_path
from amazon_passweb.gestionale.errors import CredentialsRefused, GestionaleUnavailable, UncertainCreate
from amazon_passweb.gestionale.mapping import build_customer, build_document
from amazon_passweb.gestionale.transport import error_detail, with_query
from sandbox.gestionale.gate import AuthSettings
from sandbox.gestionale.server import running_standin
from sandbox.gestionale.tls import make_self_signed_cert


def test_5001_and_408_on_reads_are_retried(standin, client):
    standin.faults.update(fail_5001_next=2)
    assert client.get_article("ART001")["codice"] == "ART001"
    standin.faults.update(fail_408_next=1)
    assert client.get_article("ART001")["codice"] == "ART001"


def test_5001_on_a_create_is_searched_for_and_never_sent_again(standin, client, account):
    """5001: the WebAPI lost its dialogue with the gestionale, which may have applied the create. Not found
    by the search after it, the outcome stays uncertain: the client does not send it again."""
    code = client.ensure_customer(build_customer(customer()), account.customer_ledgers).key
    document = build_document(order("405-5001000-0000001"), account, code)
    standin.faults.update(fail_5001_next=1)
    with pytest.raises(UncertainCreate) as uncertain:
        client.create_document(document, may_exist=False)
    assert uncertain.value.target == "document" and "5001" in str(uncertain.value)
    assert standin.standin.count_documents(rif_nr_attuale="405-5001000-0000001") == 0


def test_a_busy_pool_503_3002_is_waited_not_taken_for_refused_credentials(standin, client):
    standin.faults.update(fail_503_next=3)
    assert client.get_customer("501.00001") is None  # three 503s waited out, then a 404
    assert standin.standin.gate.stats["burst_503"] == 3


def test_error_bodies_as_the_webapi_writes_them():
    body = (
        b'{"error": {"response-code": 400, '
        b'"response-detail": "6001 - errore gestionale [Nome campo \'x\' non valido]"}}'
    )
    assert error_detail(body) == ("6001", "errore gestionale [Nome campo 'x' non valido]")
    assert error_detail(b"") == (None, "")
    assert error_detail(b"<html>proxy error 3002 - busy</html>")[0] == "3002"


def test_locations_and_keys_with_slashes_travel_hex_encoded():
    assert key_from_location("/webapi/risorse/documenti/ordini-clienti/OC+1+541") == "OC+1+541"
    assert key_from_location("/webapi/risorse/articoli/4142432F31?encoding=hex") == "ABC/1"
    assert key_path("risorse/articoli", "ABC/1") == ("risorse/articoli/4142432F31", {"encoding": "hex"})
    assert key_path("risorse/clienti", "501.00001") == ("risorse/clienti/501.00001", None)
    assert with_query("risorse/articoli", {"fields": ["codice", "alq_iva"], "max": 500, "next": None}) == (
        "risorse/articoli?fields=codice,alq_iva&max=500"
    )


def test_an_article_whose_code_holds_a_slash_is_read(standin, client):
    standin.standin.store.insert_article({"codice": "KIT/2", "descrizione": "Kit da due", "alq_iva": "22"})
    assert client.get_article("KIT/2")["descrizione"] == "Kit da due"


def test_every_article_is_listed_page_by_page(standin, client):
    codes = [record["codice"] for record in client.records("risorse/articoli", fields=["codice"], page_size=7)]
    assert len(codes) == len(set(codes)) == standin.standin.store.count("articoli")


def _auth() -> AuthSettings:
    return AuthSettings(users={USER: PASSWORD}, dominio=DOMINIO, aziende=(AZIENDA,))


def test_tls_with_a_private_ca(tmp_path):
    cert, key = make_self_signed_cert(tmp_path / "tls")
    with running_standin(tmp_path / "data", auth=_auth(), tls=(str(cert), str(key))) as running:
        https = running.base_url
        assert https.startswith("https://")
        trusted = GestionaleClient(make_settings(https, ca_bundle=str(cert)))
        assert trusted.get_article("ART001")["codice"] == "ART001"
        unverified = GestionaleClient(make_settings(https, verify=False))
        assert unverified.get_article("ART001")["codice"] == "ART001"
        untrusted = GestionaleClient(make_settings(https, retry_budget_s=0.3))
        with pytest.raises(GestionaleUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
            untrusted.get_article("ART001")


@pytest.mark.parametrize("mode", ["search", "auto"])
def test_new_customers_are_numbered_in_either_mode(tmp_path, account, mode):
    with running_standin(tmp_path, auth=_auth(), customer_auto=(mode == "auto")) as running:
        client = GestionaleClient(make_settings(running.base_url, customer_code=mode), settle_s=0.01)
        keys = [client.ensure_customer(build_customer(customer(n)), ["501"]).key for n in range(1, 4)]
        assert keys == ["501.00001", "501.00002", "501.00003"]


def test_auto_codes_on_an_installation_without_them_are_refused_once(tmp_path, account):
    with running_standin(tmp_path, auth=_auth(), customer_auto=False) as running:
        client = GestionaleClient(make_settings(running.base_url, customer_code="auto"), settle_s=0.01)
        with pytest.raises(Exception, match="AUTO|conto|codice"):
            client.ensure_customer(build_customer(customer()), ["501"])
        assert running.standin.count_customers() == 0


def test_a_refused_login_stops_at_one_attempt(standin):
    client = GestionaleClient(make_settings(standin.base_url, password="wrong"))
    with pytest.raises(CredentialsRefused):
        client.get_article("ART001")
    with pytest.raises(CredentialsRefused):
        client.get_article("ART002")  # refused locally: nothing more reaches the gestionale
    assert standin.standin.gate.failed_logins == {USER: 1}
