import logging

import pytest
from cryptography.exceptions import InvalidTag

from amazon_passweb.site.crypto import (
    DEMO_FINGERPRINT,
    DEMO_KEY,
    KEY_ENV,
    PiiCipher,
    PiiKeyError,
    generate_key,
    load_pii_key,
)


def test_encryption_round_trips_and_is_randomised() -> None:
    cipher = PiiCipher(generate_key())
    a = cipher.encrypt("Mario Rossi", "customer.name")
    b = cipher.encrypt("Mario Rossi", "customer.name")
    assert a != b
    assert b"Mario" not in a
    assert cipher.decrypt(a, "customer.name") == "Mario Rossi"
    assert cipher.encrypt(None, "customer.name") is None
    assert cipher.decrypt(None, "customer.name") is None


def test_ciphertext_is_bound_to_its_column() -> None:
    cipher = PiiCipher(generate_key())
    blob = cipher.encrypt("mario@example.it", "customer.email")
    with pytest.raises(InvalidTag):
        cipher.decrypt(blob, "customer.name")


def test_a_different_key_cannot_decrypt() -> None:
    blob = PiiCipher(generate_key()).encrypt("secret", "x")
    with pytest.raises(InvalidTag):
        PiiCipher(generate_key()).decrypt(blob, "x")


def test_lookup_hash_is_deterministic_keyed_and_namespaced() -> None:
    key = generate_key()
    cipher = PiiCipher(key)
    h = cipher.lookup_hash("mario@example.it", "customer.email")
    assert h == PiiCipher(key).lookup_hash("mario@example.it", "customer.email")
    assert h != PiiCipher(generate_key()).lookup_hash("mario@example.it", "customer.email")
    assert h != cipher.lookup_hash("mario@example.it", "customer.identity")
    assert len(h) == 64


def test_malformed_keys_are_refused() -> None:
    with pytest.raises(PiiKeyError):
        PiiCipher("too-short")


def test_key_comes_from_the_environment_then_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    key = generate_key()
    monkeypatch.setenv(KEY_ENV, key)
    assert load_pii_key() == key
    monkeypatch.delenv(KEY_ENV)
    assert load_pii_key(connection_extra={"pii_key": key}) == key


def test_a_missing_key_is_an_error_that_says_how_to_make_one_and_how_to_ask_for_the_demo_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    for sqlite in (True, False):  # SQLite, the default database, no longer falls back silently
        with pytest.raises(PiiKeyError) as refused:
            load_pii_key(sqlite=sqlite)
        assert "python -m amazon_passweb.site generate-key" in str(refused.value)
        assert f"{KEY_ENV}=demo" in str(refused.value)


def test_the_demo_key_only_when_asked_for_by_name_and_only_on_sqlite(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(KEY_ENV, "demo")
    with caplog.at_level(logging.WARNING):
        assert load_pii_key(sqlite=True) == DEMO_KEY
    assert "PUBLIC demo key" in caplog.text
    with pytest.raises(PiiKeyError, match="only a SQLite demo database"):
        load_pii_key(sqlite=False)
    monkeypatch.delenv(KEY_ENV)
    assert load_pii_key(sqlite=True, connection_extra={"pii_key": "demo"}) == DEMO_KEY


def test_the_fingerprint_names_the_key_without_revealing_it() -> None:
    key = generate_key()
    fingerprint = PiiCipher(key).fingerprint
    assert fingerprint == PiiCipher(key).fingerprint  # stable
    assert fingerprint != PiiCipher(generate_key()).fingerprint
    assert len(fingerprint) == 16 and int(fingerprint, 16) >= 0
    assert fingerprint not in key and key not in fingerprint
    cipher = PiiCipher(key)  # neither a lookup hash nor a ciphertext of anything gives it away
    assert fingerprint not in cipher.lookup_hash("passweb-site-pii-key-fingerprint-v1", "customer.email")
    assert PiiCipher(DEMO_KEY).fingerprint == DEMO_FINGERPRINT
