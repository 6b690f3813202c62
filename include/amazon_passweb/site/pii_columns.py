"""Where the key is used: every encrypted column with the purpose its ciphertext is bound to, and
every lookup-hash column. The key check (``key_check.py``) and the rotation (``key_rotation.py``)
read these; ``tests/site/test_site_key_rotation.py`` checks them against the models' naming rule
(``*_enc``, ``*_hash``), so a column added later cannot be left on the old key."""

from __future__ import annotations

CUSTOMER_PII = ("email", "name", "company", "vat_number", "fiscal_code", "phone")
ADDRESS_PII = ("name", "line1", "line2", "postal_code", "city", "province", "phone")
INBOX_PAYLOAD_PURPOSE = "inbox.payload"

# table → {column: purpose (the associated data its ciphertext is bound to)}
ENCRYPTED: dict[str, dict[str, str]] = {
    "customers": {f"{name}_enc": f"customer.{name}" for name in CUSTOMER_PII},
    "addresses": {f"{name}_enc": f"address.{name}" for name in ADDRESS_PII},
    "inbox": {"payload_enc": INBOX_PAYLOAD_PURPOSE},
}

# table → its keyed lookup-hash columns (crypto.PiiCipher.lookup_hash)
LOOKUP_HASHES: dict[str, tuple[str, ...]] = {
    "customers": ("email_hash", "identity_hash"),
    "addresses": ("key_hash",),
    "gestionale_customers": ("email_hash", "identity_hash"),
}
