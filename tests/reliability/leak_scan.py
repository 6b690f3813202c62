"""Looking for credentials and buyer data in what a run left behind, in every form they could take.

A credential is searched as written, URL-encoded (``quote``, ``quote_plus``, either hex case),
JSON-escaped (ASCII-only and not), HTML-escaped, base64 (standard and URL-safe) on its own, and by
a distinctive fragment of it (a truncated or re-encoded copy keeps the fragment). Every run of
base64-looking text is also decoded, at each of the four alignments, and searched: a credential
inside a longer base64 value (an ``Authorization: Basic`` header, a MIME part) is found too.
Amazon's access and restricted-data tokens, which the test cannot know in advance, are searched by
their shape, and so is a piece of an Amazon answer carrying buyer fields (``"ShippingAddress":``).

Buyer data (names, emails, phones, streets, VAT numbers and fiscal codes) is searched without
regard to case, as written, JSON-escaped, HTML-escaped and URL-encoded, phones also as bare digits,
two-word names also surname first.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

MIN_VALUE = 6  # shorter buyer values ("Roma", "c/o") would match ordinary text
BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
# What cannot be known in advance, found by its shape: Amazon's tokens, and a piece of an Amazon answer
# that carries buyer fields (its values follow the key, and may be cut short where no value matches).
SHAPES = {
    "credential: amazon access token": re.compile(r"Atza(?:\||%7C|%7c)[A-Za-z0-9_-]{8,}"),
    "credential: amazon restricted-data token": re.compile(r"Atz\.sprdt(?:\||%7C|%7c)[A-Za-z0-9_-]{8,}"),
    "buyer data: an Amazon buyer field": re.compile(
        r"""\\?["'](?:ShippingAddress|BuyerInfo|BuyerEmail|BuyerName|BuyerTaxInfo|AddressLine1|Phone|buyer|"""
        r"""buyerName|buyerEmail|buyerCompanyName|recipient|deliveryAddress|addressLine1|phone)\\?["']\s*:"""),
}


@dataclass(frozen=True)
class Needle:
    label: str  # "credential: LWA client secret", "buyer email", ...
    forms: tuple[str, ...]
    casefold: bool = False

    def found_in(self, text: str, folded: str) -> str | None:
        haystack = folded if self.casefold else text
        return next((form for form in self.forms if form in haystack), None)


@dataclass(frozen=True)
class Finding:
    where: str
    label: str
    context: str

    def __str__(self) -> str:
        return f"{self.label} in {self.where}: …{self.context}…"


def credential(label: str, value: str, fragment: str) -> Needle:
    """A credential and its encodings; ``fragment`` is a distinctive part of it (at least 10 characters)."""
    assert len(fragment) >= 10 and fragment in value, (label, fragment)
    raw = value.encode()
    forms = {value, fragment, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1],
             json.dumps(value, ensure_ascii=False)[1:-1], html.escape(value),
             base64.b64encode(raw).decode().rstrip("="), base64.urlsafe_b64encode(raw).decode().rstrip("=")}
    forms |= {form.lower() for form in (quote(value, safe=""), quote_plus(value))}
    return Needle(f"credential: {label}", tuple(sorted(forms, key=len)))


def buyer_value(label: str, value: str) -> Needle | None:
    value = value.strip()
    if len(value) < MIN_VALUE:
        return None
    forms = {value, json.dumps(value)[1:-1], html.escape(value), html.escape(value, quote=False),
             value.replace("'", "&#39;"), quote(value), quote_plus(value)}
    if label == "buyer phone":
        digits = re.sub(r"\D", "", value)
        forms |= {digits, digits[2:] if digits.startswith("39") else digits}
    words = value.split()
    if label == "buyer name" and len(words) == 2:
        forms.add(f"{words[1]} {words[0]}")
    return Needle(label, tuple(sorted({form.casefold() for form in forms if len(form) >= MIN_VALUE})), casefold=True)


def buyer_needles(orders: Iterable[dict[str, Any]]) -> list[Needle]:
    """Every buyer's personal data in Amazon orders (v2026-01-01 shape): one needle per distinct value."""
    values: dict[str, str] = {}
    for order in orders:
        buyer = order.get("buyer") or {}
        address = (order.get("recipient") or {}).get("deliveryAddress") or {}
        for label, value in (("buyer name", buyer.get("buyerName")), ("buyer name", address.get("name")),
                             ("buyer company", buyer.get("buyerCompanyName")),
                             ("buyer company", address.get("companyName")),
                             ("buyer email", buyer.get("buyerEmail")), ("buyer phone", address.get("phone")),
                             ("buyer street", address.get("addressLine1")),
                             ("buyer street", address.get("addressLine2")),
                             ("buyer street", address.get("addressLine3"))):
            if isinstance(value, str) and value.strip():
                values.setdefault(value.strip(), label)
        for registration in (order.get("tax") or {}).get("taxRegistrations") or ():
            if registration.get("taxRegistrationNumber"):
                values.setdefault(registration["taxRegistrationNumber"], "buyer VAT number")
            for attribute in registration.get("taxRegistrationAttributes") or ():
                if attribute.get("value"):
                    values.setdefault(str(attribute["value"]), "buyer fiscal code")
    needles = (buyer_value(label, value) for value, label in values.items())
    return [needle for needle in needles if needle is not None]


def decoded_base64(text: str) -> list[str]:
    """Every run of base64-looking characters, decoded at each alignment (standard and URL-safe)."""
    found = []
    for match in BASE64_RUN.finditer(text):
        run = match.group().rstrip("=")
        for shift in range(4):
            chunk = run[shift:]
            chunk = chunk[: len(chunk) - len(chunk) % 4]
            if len(chunk) < 12:
                continue
            for decode in (base64.b64decode, base64.urlsafe_b64decode):
                try:
                    data = decode(chunk.replace("-", "+").replace("_", "/") if decode is base64.b64decode
                                  else chunk.replace("+", "-").replace("/", "_"))
                except (binascii.Error, ValueError):
                    continue
                found.append(data.decode("utf-8", "replace"))
    return found


def scan(where: str, text: str, needles: Iterable[Needle], *, shapes: bool = True) -> list[Finding]:
    """The needles (and, with ``shapes``, the :data:`SHAPES`) found in ``text`` or in its base64 runs."""
    needles = list(needles)
    findings: list[Finding] = []
    for source, body in [("", text)] + [(" (base64-decoded)", part) for part in decoded_base64(text)]:
        folded = body.casefold()
        for needle in needles:
            form = needle.found_in(body, folded)
            if form is not None:
                findings.append(Finding(where + source, needle.label, _context(folded if needle.casefold else body,
                                                                               form)))
        if shapes:
            for label, shape in SHAPES.items():
                match = shape.search(body)
                if match:
                    findings.append(Finding(where + source, label, _context(body, match.group())))
    return list(dict.fromkeys(findings))


def _context(text: str, form: str, width: int = 60) -> str:
    at = text.find(form)
    return text[max(0, at - width): at + len(form) + width].replace("\n", " ")
