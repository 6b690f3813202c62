"""Buyer personal data at rest: AES-GCM encryption plus keyed hashes for lookups.

One 32-byte master key (urlsafe base64 in ``SITE_PII_KEY`` or the ``pii_key``
extra of the ``passweb_site`` connection) yields two independent sub-keys via
HKDF: one encrypts, one computes HMAC-SHA256 lookup hashes. The hashes let the
importer find a customer by email or an address by its normalised key without
storing either in clear; without the key they cannot be recomputed from a
guessed email.
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
# Only for the embedded SQLite demo: anyone can read it here, so it protects nothing.
DEMO_KEY = base64.urlsafe_b64encode(b"passweb-demo-key-NOT-FOR-PROD!!!").decode()

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


def load_pii_key(*, allow_demo: bool = False, connection_extra: dict | None = None) -> str:
    """The key from ``SITE_PII_KEY``, else the connection's ``pii_key`` extra.

    With ``allow_demo`` (the embedded SQLite demo only) a missing key falls back
    to :data:`DEMO_KEY` with a warning; otherwise a missing key is an error.
    """
    key = os.environ.get(KEY_ENV) or (connection_extra or {}).get("pii_key")
    if key:
        return key
    if allow_demo:
        log.warning(
            "No %s configured: using the PUBLIC DEMO key for buyer data. "
            "Set %s (or the passweb_site connection extra 'pii_key') before real use.",
            KEY_ENV,
            KEY_ENV,
        )
        return DEMO_KEY
    raise PiiKeyError(
        f"no PII key: set {KEY_ENV} or the 'pii_key' extra of the passweb_site connection "
        "(generate one with: python -c 'from amazon_passweb.site.crypto import generate_key; "
        "print(generate_key())')"
    )
