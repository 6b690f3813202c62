"""Buyer personal data at rest: AES-GCM encryption plus keyed hashes for lookups.

One 32-byte master key (urlsafe base64 in ``SITE_PII_KEY`` or the ``pii_key``
extra of the ``passweb_site`` connection) yields two independent sub-keys via
HKDF: one encrypts, one computes HMAC-SHA256 lookup hashes. The hashes let the
importer find a customer by email or an address by its normalised key without
storing either in clear; without the key they cannot be recomputed from a
guessed email.

A third derivation, :attr:`PiiCipher.fingerprint`, names the key without revealing it: the site
database records it (``site_settings``) and refuses to be opened with another key
(``key_check.py``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

KEY_ENV = "SITE_PII_KEY"
# Only for the embedded SQLite demo: anyone can read it here, so it protects nothing. It is used only
# when asked for by name (SITE_PII_KEY=demo, or pii_key "demo" in the connection's extra).
DEMO_KEY = base64.urlsafe_b64encode(b"passweb-demo-key-NOT-FOR-PROD!!!").decode()
DEMO_KEY_NAME = "demo"
# HMAC-SHA256 of this constant with the master key, truncated: see PiiCipher.fingerprint.
_FINGERPRINT_MESSAGE = b"passweb-site-pii-key-fingerprint-v1"
_FINGERPRINT_HEX_CHARS = 16

MISSING_KEY_HELP = (
    f"set {KEY_ENV} (or the 'pii_key' extra of the passweb_site connection) to a key made with "
    f"`python -m amazon_passweb.site generate-key`; for the local demo on SQLite only, "
    f"{KEY_ENV}={DEMO_KEY_NAME} uses the public demo key"
)

_FORMAT_V1 = b"\x01"
_NONCE_BYTES = 12


class PiiKeyError(ValueError):
    """The configured key is missing or malformed."""


def generate_key() -> str:
    """A fresh key in the format ``SITE_PII_KEY`` expects."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _decode_key(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode() + b"==")
    except (ValueError, TypeError) as exc:
        raise PiiKeyError("the PII key must be urlsafe base64 of 32 bytes") from exc
    if len(raw) != 32:
        raise PiiKeyError(f"the PII key must decode to 32 bytes, got {len(raw)}")
    return raw


class PiiCipher:
    """Encrypts personal data fields and computes their lookup hashes."""

    def __init__(self, key: str) -> None:
        master = _decode_key(key)
        self._aead = AESGCM(self._derive(master, b"site-pii-encryption"))
        self._mac_key = self._derive(master, b"site-pii-lookup-hash")
        self.fingerprint = key_fingerprint(master)

    @staticmethod
    def _derive(master: bytes, info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)

    def encrypt(self, value: str | None, purpose: str) -> bytes | None:
        """Encrypt ``value``; ``purpose`` (e.g. ``customer.email``) is bound as associated
        data, so a ciphertext copied into another column fails to decrypt."""
        if value is None:
            return None
        nonce = os.urandom(_NONCE_BYTES)
        return _FORMAT_V1 + nonce + self._aead.encrypt(nonce, value.encode(), purpose.encode())

    def decrypt(self, blob: bytes | None, purpose: str) -> str | None:
        if blob is None:
            return None
        blob = bytes(blob)
        if blob[:1] != _FORMAT_V1:
            raise ValueError(f"unknown ciphertext format for {purpose}")
        nonce, body = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        return self._aead.decrypt(nonce, body, purpose.encode()).decode()

    def lookup_hash(self, value: str, purpose: str) -> str:
        """Keyed hash (hex) of an already normalised value, namespaced by purpose."""
        message = purpose.encode() + b"\x00" + value.encode()
        return hmac.new(self._mac_key, message, hashlib.sha256).hexdigest()


def key_fingerprint(master: bytes) -> str:
    """A name for the key that reveals nothing usable: the first 64 bits of HMAC-SHA256(key, constant).

    HMAC is a pseudo-random function of the key: its output says nothing about the key, nor about the
    HKDF sub-keys that encrypt and hash (different derivations), and inverting it means guessing a
    256-bit key. 64 bits tell keys apart (two keys collide with probability 2^-64) and are short
    enough to read in an error message.
    """
    digest = hmac.new(master, _FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()
    return digest[:_FINGERPRINT_HEX_CHARS]


DEMO_FINGERPRINT = key_fingerprint(_decode_key(DEMO_KEY))


def describe_fingerprint(fingerprint: str) -> str:
    """The fingerprint, saying so when it is the public demo key's."""
    return f"{fingerprint} (the public demo key)" if fingerprint == DEMO_FINGERPRINT else fingerprint


def resolve_pii_key(value: str | None, *, sqlite: bool) -> str:
    """The key to use for a configured ``value``: the value itself, or the demo key when the value is
    ``demo`` and the database is SQLite. A missing value is an error, never a silent default."""
    value = (value or "").strip()
    if not value:
        raise PiiKeyError(f"no PII key for the site database: {MISSING_KEY_HELP}")
    if value.lower() != DEMO_KEY_NAME:
        return value
    if not sqlite:
        raise PiiKeyError(
            f"{KEY_ENV}={DEMO_KEY_NAME} asks for the public demo key, which only a SQLite demo database may "
            "use; give this database a real key (`python -m amazon_passweb.site generate-key`)"
        )
    log.warning(
        "%s=%s: buyer data is encrypted with the PUBLIC demo key (local demo only). "
        "Use a key made with `python -m amazon_passweb.site generate-key` for real data.",
        KEY_ENV,
        DEMO_KEY_NAME,
    )
    return DEMO_KEY


def configured_pii_key(connection_extra: dict | None = None) -> str | None:
    """What the configuration says, unresolved: ``SITE_PII_KEY``, else the connection's ``pii_key``."""
    return os.environ.get(KEY_ENV) or (connection_extra or {}).get("pii_key") or None


def load_pii_key(*, sqlite: bool = False, connection_extra: dict | None = None) -> str:
    """The key from ``SITE_PII_KEY``, else the connection's ``pii_key`` extra (:func:`resolve_pii_key`:
    ``demo`` is the public demo key, accepted for a SQLite database only; nothing configured is an error)."""
    return resolve_pii_key(configured_pii_key(connection_extra), sqlite=sqlite)
