"""Normalised comparison keys for emails, addresses and buyer identities (domain.md §4).

The rules live in ``orders.identity``; the store hashes their keys with the PII key before they
reach the database (see ``crypto.PiiCipher.lookup_hash``).
"""

from amazon_passweb.orders.identity import (
    address_key,
    identity_basis,
    identity_key,
    is_shared_email,
    normalise_email,
    normalise_name,
    normalise_postal_code,
    normalise_street,
    normalise_text,
    normalise_vat,
    usable_email,
)

__all__ = [
    "address_key",
    "identity_basis",
    "identity_key",
    "is_shared_email",
    "normalise_email",
    "normalise_name",
    "normalise_postal_code",
    "normalise_street",
    "normalise_text",
    "normalise_vat",
    "usable_email",
]
