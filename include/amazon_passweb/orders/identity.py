"""Who the buyer is (domain.md §4): usable and shared emails, VAT numbers, the company flag,
and the normalised keys that tell buyers and addresses apart.

Keys are compared, never shown: the site store hashes them with the PII key before they reach
the database.
"""


from __future__ import annotations

import re
import unicodedata

# Amazon Business EU gives every business buyer this one address: it must never
# identify a customer. Matched on the local part, whatever the marketplace domain.
SHARED_EMAIL_LOCAL_PARTS = ("no-reply-amazon-iba-buyer",)

# Common Italian (and a few EU) street abbreviations, expanded after punctuation
# is removed so "V.le", "v le" and "viale" give the same key.
ABBREVIATIONS = {
    "v": "via",
    "vle": "viale",
    "pza": "piazza",
    "pzza": "piazza",
    "piaz": "piazza",
    "cso": "corso",
    "str": "strada",
    "lgo": "largo",
    "loc": "localita",
    "fraz": "frazione",
    "vic": "vicolo",
    "sn": "snc",
    "nr": "",
    "n": "",
    "no": "",
    "num": "",
    "st": "street",
    "rd": "road",
    "ave": "avenue",
}

_NON_WORD = re.compile(r"[^a-z0-9]+")
# "v.le" / "p.za" / "c.so": join the dotted pieces before splitting on punctuation.
_DOTTED = re.compile(r"\b([a-z])\.(le|za|zza|so)\b")


def normalise_email(email: str | None) -> str | None:
    """Trimmed, lower-cased email; None when absent or blank."""
    if email is None:
        return None
    email = email.strip().lower()
    return email or None


def is_shared_email(email: str | None) -> bool:
    """True for addresses shared by many buyers (Amazon Business EU)."""
    email = normalise_email(email)
    if email is None:
        return False
    local = email.split("@", 1)[0]
    return any(local.startswith(prefix) for prefix in SHARED_EMAIL_LOCAL_PARTS)


def usable_email(email: str | None) -> str | None:
    """The normalised email if it can identify one buyer, else None."""
    email = normalise_email(email)
    if email is None or "@" not in email or is_shared_email(email):
        return None
    return email


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise_text(text: str | None) -> str:
    """Lower case, no accents, punctuation and runs of spaces collapsed to one space."""
    if not text:
        return ""
    text = strip_accents(text).lower()
    return " ".join(_NON_WORD.sub(" ", text).split())


def normalise_name(text: str | None) -> str:
    """A person's or company's name: like :func:`normalise_text`, but dots and
    apostrophes join rather than split, so "S.r.l." equals "srl" and "D'Amico" "damico"."""
    return normalise_text(re.sub(r"[.'’`]", "", text or ""))


def normalise_street(text: str | None) -> str:
    """Like :func:`normalise_text`, with common street abbreviations expanded."""
    if not text:
        return ""
    text = _DOTTED.sub(r"\1\2", strip_accents(text).lower())
    words = [ABBREVIATIONS.get(word, word) for word in normalise_text(text).split()]
    return " ".join(word for word in words if word)


def normalise_postal_code(code: str | None) -> str:
    return re.sub(r"[^0-9a-z]", "", (code or "").lower())


def normalise_vat(vat: str | None) -> str:
    """VAT number without spaces/punctuation; an IT prefix is dropped so that
    ``IT01234567890`` and ``01234567890`` are the same company."""
    vat = re.sub(r"[^0-9A-Z]", "", (vat or "").upper())
    return vat[2:] if vat.startswith("IT") and vat[2:].isdigit() else vat


def vat_number_forms(vat_number: str | None, country: str | None) -> tuple[str, str] | None:
    """(with country prefix, without) of a VAT number: the gestionale is sent the prefixed form
    (its documented format, e.g. IT01234567890) and searched for both, since a customer keyed
    in by hand often has the bare number. Greece's prefix is EL, whatever Amazon's GR."""
    text = "".join(ch for ch in str(vat_number or "") if ch.isalnum()).upper()
    if not text:
        return None
    if len(text) > 2 and text[:2].isalpha():
        return text, text[2:]
    prefix = "EL" if (country or "IT").upper() == "GR" else (country or "IT").upper()
    return prefix + text, text


def is_company(*, is_business: bool, company: str | None, vat_number: str | None) -> bool:
    """A business order with a company name or a VAT number is a company customer (document OC);
    any other buyer is private (OX)."""
    return is_business and bool(company or vat_number)


def address_key(
    *,
    name: str | None,
    line1: str | None,
    line2: str | None = None,
    postal_code: str | None,
    city: str | None,
    country_code: str | None,
) -> str:
    """The comparison key of a shipping address: same key, same address."""
    parts = [
        normalise_name(name),
        normalise_street(" ".join(p for p in (line1, line2) if p)),
        normalise_postal_code(postal_code),
        normalise_text(city),
        (country_code or "").strip().upper(),
    ]
    return "|".join(parts)


def identity_key(
    *,
    is_company: bool,
    vat_number: str | None = None,
    company: str | None = None,
    name: str | None = None,
    postal_code: str | None = None,
    line1: str | None = None,
    country_code: str | None = None,
) -> str | None:
    """Deterministic buyer identity when no usable email exists (domain.md §4).

    - company with a VAT number: ``vat:<country><vat>``;
    - company without one: ``company:<name>|<postal code>|<country>``;
    - private person: ``private:<name>|<postal code>|<street>|<country>``.
    None when the data is too thin to tell buyers apart (e.g. AFN orders
    without name and address): such orders must not be attached to anyone.
    """
    country = (country_code or "").strip().upper()
    if is_company:
        vat = normalise_vat(vat_number)
        if vat:
            return f"vat:{vat}"
        company_name = normalise_name(company)
        if company_name:
            return f"company:{company_name}|{normalise_postal_code(postal_code)}|{country}"
    person = normalise_name(name)
    street = normalise_street(line1)
    if not person or not (street or postal_code):
        return None
    return f"private:{person}|{normalise_postal_code(postal_code)}|{street}|{country}"


def identity_basis(identity: str) -> str:
    """What an :func:`identity_key` was made of: ``vat``, ``company`` or ``private``."""
    return identity.split(":", 1)[0]
