import logging

import pytest
from cryptography.exceptions import InvalidTag

from amazon_passweb.site.crypto import DEMO_KEY, KEY_ENV, PiiCipher, PiiKeyError, generate_key, load_pii_key


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


def test_missing_key_is_an_error_unless_the_demo_allows_it(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(PiiKeyError, match=KEY_ENV):
        load_pii_key()
    with caplog.at_level(logging.WARNING):
        assert load_pii_key(allow_demo=True) == DEMO_KEY
    assert "DEMO key" in caplog.text
