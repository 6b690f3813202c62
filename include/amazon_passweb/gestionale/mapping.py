"""Site order -> gestionale records: customer, shipping address and the OC/OX order document.

The importer adapts its site rows to the plain input dataclasses below. The mapping is pure:
no I/O, every shortened field reported in ``warnings``, every impossible order an UnmappableDocument.

Documents (domain.md §5):
- ``OC`` for companies with net prices, ``OX`` for private buyers with gross prices;
- header: the account's serie with ``numero: 0``, causale, warehouse (MFN/AFN), cost centre,
  carrier (``carrier`` when shipping is charged, ``carrier_free_shipping`` when it is free),
  shipping address id, and the Amazon order id and date as external reference;
- the input rows in ``line_no`` order: article and spesa rows as ``R`` rows, notes as ``D``
  rows. The site order's two standard notes (``orders.document.standard_notes``) are among
  them: the mapping writes the rows it is given and adds none of its own;
- if the total the gestionale will compute differs from the Amazon total, because prices
  are rounded to the cent (OX and OC) and VAT is rounded per rate (OC), one adjustment row
  is added: the configured rounding spesa article (``spesa_articles.rounding``, ARROTOND by
  default), quantity 1, price = Amazon total - computed total, VAT code
  ``spesa_articles.rounding_vat_code`` (an exemption, E15 by default: outside the VAT base),
  so it moves the total by exactly its price.
  A difference larger than rounding can explain is an UnmappableDocument, never absorbed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from amazon_passweb.config import AccountConfig
from amazon_passweb.gestionale.fields import (
    ADDRESS_LIMITS,
    CUSTOMER_LIMITS,
    DOCUMENT_LIMITS,
    ROW_LIMITS,
    clean,
    fit,
    wrap,
)
from amazon_passweb.gestionale.provinces import province_sigla
from amazon_passweb.gestionale.totals import PricedRow, document_total
from amazon_passweb.orders import money
from amazon_passweb.orders.document import shipping_charge
from amazon_passweb.orders.identity import is_shared_email, vat_number_forms
from amazon_passweb.orders.money import VAT_RATES, cents
from amazon_passweb.orders.status import DocumentSigla

# The spesa articles of the non-article components of an Amazon total are configuration
# (``AccountConfig.spesa_articles``, company-wide).
ROUNDING_DESCRIPTION = "Arrotondamento al totale Amazon"

# Currencies the documents may carry: ISO code -> gestionale id_valuta (None: the base currency);
# the others come from the configuration's ``currencies`` (``AccountConfig.currencies``).
DEFAULT_CURRENCY_IDS: dict[str, int | None] = {"EUR": None}


def configured_currency_ids(account: AccountConfig) -> dict[str, int | None]:
    return {**DEFAULT_CURRENCY_IDS, **account.currencies}


class UnmappableDocument(ValueError):
    """This order cannot become a gestionale document as it is; the message says why."""


@dataclass(frozen=True)
class CustomerInput:
    name: str  # the person, or the contact of a company
    is_company: bool = False
    company: str | None = None
    vat_number: str | None = None
    fiscal_code: str | None = None
    email: str | None = None
    phone: str | None = None
    address_line1: str = ""
    address_line2: str | None = None
    postal_code: str = ""
    city: str = ""
    province: str | None = None  # 2-letter sigla for Italy
    country: str = "IT"  # ISO 3166-1 alpha-2


@dataclass(frozen=True)
class ShippingAddressInput:
    name: str
    address_line1: str
    postal_code: str
    city: str
    address_line2: str | None = None
    province: str | None = None
    country: str = "IT"
    phone: str | None = None


@dataclass(frozen=True)
class OrderRowInput:
    kind: Literal["article", "spesa", "note"]
    line_no: int
    article_code: str | None  # None for notes
    description: str
    quantity: Decimal
    unit_price_gross: Decimal  # VAT included, as Amazon gives it; negative for discounts
    vat_rate: str  # "22", "10", "5", "4"; abroad the rate Amazon applied ("19", "5.5"), "0" when exempt
    vat_code: str | None = None  # the cod_iva when it is not vat_rate's Italian code (domain.md §8)


@dataclass(frozen=True)
class OrderInput:
    amazon_order_id: str
    purchase_date: dt.datetime | dt.date  # the Amazon date of the external reference
    fulfilment_channel: Literal["MFN", "AFN"]
    sigla: DocumentSigla  # as stored on the site order: OC company (net prices), OX private (gross)
    currency: str
    total_gross: Decimal  # the Amazon order total, VAT included
    rows: tuple[OrderRowInput, ...]  # all of them, the site order's note rows included
    customer: CustomerInput | None = None  # None: AFN order without buyer data
    shipping_address: ShippingAddressInput | None = None


@dataclass(frozen=True)
class MappedRecord:
    """A record to create, the ricerca filters that find it again, and what was shortened."""

    payload: dict
    lookup: list[dict]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MappedDocument(MappedRecord):
    total: Decimal = Decimal(0)  # as the gestionale will compute it: equals the Amazon total
    adjustment: Decimal = Decimal(0)  # the rounding adjustment row's amount, 0 when none


def _equals(campo: str, valore: object, case_insensitive: bool = False) -> dict:
    return {"campo": campo, "condizione": "=", "valore": valore, "case_insensitive": case_insensitive}


def _yyyymmdd(value: dt.date | dt.datetime) -> str:
    return value.strftime("%Y%m%d")


def _street(line1: str | None, line2: str | None) -> str:
    return ", ".join(part for part in (clean(line1), clean(line2)) if part)


# EU member states (ISO 3166-1 alpha-2; Greece as Amazon writes it, GR, and as VAT numbers do, EL).
EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "EL",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
# Surname particles that belong to the surname that follows them ("Maria De Luca").
SURNAME_PARTICLES = frozenset(
    [
        "d'",
        "da",
        "dal",
        "dall'",
        "dalla",
        "de",
        "de'",
        "degli",
        "dei",
        "del",
        "dell'",
        "della",
        "delle",
        "di",
        "la",
        "le",
        "lo",
        "van",
        "von",
        "der",
        "den",
        "ten",
        "ter",
    ]
)


def nationality(country: str | None) -> str:
    """``tp_nazionalita`` for a country: I (Italy), C (another EU state), E (elsewhere).
    The published field list documents only "I"; C and E follow the gestionale's anagrafica
    convention (Italiana / CEE / Estera)."""
    code = (country or "IT").upper()
    if code == "IT":
        return "I"
    return "C" if code in EU_COUNTRIES else "E"


def split_name(full_name: str) -> tuple[str, str]:
    """(cognome, nome) from the one name Amazon gives, written "Nome Cognome": the last word is
    the surname, with the particles just before it ("Maria De Luca" → "De Luca", "Maria");
    a single word is a surname alone."""
    words = clean(full_name).split(" ")
    if len(words) < 2:
        return words[0] if words else "", ""
    start = len(words) - 1
    while start > 1 and words[start - 1].casefold() in SURNAME_PARTICLES:
        start -= 1
    return " ".join(words[start:]), " ".join(words[:start])


def build_customer(customer: CustomerInput) -> MappedRecord:
    """The customer payload without ``codice`` (the client assigns it) and its stable lookup.

    A company has its name in ``ragione_sociale``; a private buyer is a ``gest_per_fisica``
    with ``cognome`` and ``nome`` (see ``split_name``) and the full name as ragione sociale
    (required on create). Lookup key, in order: the VAT number, with or without its country
    prefix; else the email when it identifies one buyer; else name + postal code + street
    (domain.md §4: a missing or shared email never merges buyers).
    """
    warnings: list[str] = []
    where = "customer"
    is_company = customer.is_company or bool(customer.vat_number)  # a partita IVA is a business
    name = customer.company if is_company and customer.company else customer.name
    if not clean(name):
        raise UnmappableDocument("the customer has no name or company name")
    vat = vat_number_forms(customer.vat_number, customer.country)
    values: dict[str, object] = {"ragione_sociale": name}
    if not is_company:
        values["cognome"], values["nome"] = split_name(name)
    values |= {
        "indirizzo": _street(customer.address_line1, customer.address_line2),
        "cap": customer.postal_code,
        "localita": customer.city,
        "provincia": _province(customer.province, customer.country, warnings, where),
        "cod_paese": (customer.country or "IT").upper(),
        "partita_iva": vat[0] if vat else None,
        "codice_fiscale": (customer.fiscal_code or "").upper(),
        "email": (customer.email or "").lower(),
        "telefono": customer.phone,
    }
    payload: dict = {"gest_per_fisica": "N" if is_company else "S", "tp_nazionalita": nationality(customer.country)}
    for name_, value in values.items():
        text = fit(value, CUSTOMER_LIMITS[name_], name_, warnings, where)
        if text:
            payload[name_] = text
    if vat:
        lookup = [_equals("partita_iva", list(dict.fromkeys(vat)), True)]  # a list is OR'ed
    elif payload.get("email") and not is_shared_email(payload["email"]):
        lookup = [_equals("email", payload["email"], True)]
    else:
        lookup = [
            _equals("ragione_sociale", payload["ragione_sociale"], True),
            _equals("cap", payload.get("cap", "")),
            _equals("indirizzo", payload.get("indirizzo", ""), True),
        ]
    return MappedRecord(payload, lookup, warnings)


def _province(value: str | None, country: str | None, warnings: list[str], where: str) -> str:
    sigla = province_sigla(value, country)
    if sigla is None:  # never cut a name to two letters: "Roma" would become Rovigo
        warnings.append(f"{where}: field 'provincia' left empty: not an Italian province sigla or name")
        return ""
    return sigla


def same_address(customer: CustomerInput, address: ShippingAddressInput) -> bool:
    def key(name, line1, line2, postal_code, city) -> tuple:
        return tuple(clean(v).casefold() for v in (name, _street(line1, line2), postal_code, city))

    return key(
        customer.company if customer.is_company and customer.company else customer.name,
        customer.address_line1,
        customer.address_line2,
        customer.postal_code,
        customer.city,
    ) == key(address.name, address.address_line1, address.address_line2, address.postal_code, address.city)


def build_shipping_address(address: ShippingAddressInput, cod_conto: str) -> MappedRecord:
    """An ``indirizzi-spedizione`` record of customer ``cod_conto``: the destination's name in
    ``descrizione``; looked up again by customer, name, street and postal code."""
    warnings: list[str] = []
    values = {
        "descrizione": address.name,
        "indirizzo": _street(address.address_line1, address.address_line2),
        "cap": address.postal_code,
        "localita": address.city,
        "provincia": _province(address.province, address.country, warnings, "shipping address"),
        "cod_paese": (address.country or "IT").upper(),
        "telefono": address.phone,
    }
    payload: dict = {"cod_conto": cod_conto, "tp_nazionalita": nationality(address.country)}
    for name, value in values.items():
        text = fit(value, ADDRESS_LIMITS[name], name, warnings, "shipping address")
        if text:
            payload[name] = text
    if not payload.get("descrizione") or not payload.get("indirizzo"):
        raise UnmappableDocument("the shipping address has no name or no street")
    lookup = [
        _equals("cod_conto", cod_conto),
        _equals("descrizione", payload["descrizione"], True),
        _equals("indirizzo", payload["indirizzo"], True),
        _equals("cap", payload.get("cap", "")),
    ]
    return MappedRecord(payload, lookup, warnings)


def vat_code(rate: str) -> str:
    """ "22", "22.0", "22.00" -> "22" (``orders.money.vat_code``)."""
    try:
        return money.vat_code(rate)
    except ValueError as error:
        raise UnmappableDocument(str(error)) from None


def row_vat(row: OrderRowInput) -> tuple[str, Decimal]:
    """(cod_iva, rate) of a row: the stored code with the rate Amazon applied, else the rate's Italian code."""
    if row.vat_code:
        try:
            return row.vat_code, Decimal(row.vat_rate or 0)
        except ArithmeticError:
            raise UnmappableDocument(f"VAT rate {row.vat_rate!r} of code {row.vat_code} is not a number") from None
    code = vat_code(row.vat_rate)
    return code, VAT_RATES[code]


def document_price(row: OrderRowInput, sigla: str) -> Decimal:
    """The row's unit price as the document carries it: gross for OX, net of VAT for OC."""
    price = Decimal(row.unit_price_gross)
    if sigla == DocumentSigla.OC:
        return money.net_of_vat(price, row_vat(row)[1])
    return cents(price)


def rounding_bound(sigla: str, rows: list[OrderRowInput]) -> Decimal:
    """The largest difference rounding can make between the Amazon total and the document's."""
    half_unit = money.CENT / 2
    bound = Decimal("0.01")
    for row in rows:
        rate = 1 + row_vat(row)[1] / 100
        bound += (abs(row.quantity) * half_unit + Decimal("0.005")) * rate
    if sigla == "OC":
        bound += Decimal("0.005") * len({row_vat(r)[0] for r in rows})
    return bound


def build_document(
    order: OrderInput,
    account: AccountConfig,
    cod_conto: str,
    id_ind_sped: str | None = None,
    *,
    document_date: dt.date | None = None,
    currency_ids: dict[str, int | None] | None = None,
    exchange_rates: dict[int, Decimal] | None = None,
) -> MappedDocument:
    """The ``documenti/ordini-clienti`` payload. ``document_date`` defaults to today: it must
    fall in the gestionale's working year (Anno); the Amazon date goes in ``rif_dt_attuale``.
    An order in another currency carries its ``id_valuta`` (the configuration's ``currencies``,
    or ``currency_ids``) and, when ``exchange_rates`` (id_valuta -> the gestionale's ``cambio_euro``
    of dati-generali/valute) has it, ``cambio_vlt_euro``; rows and total stay in that currency."""
    warnings: list[str] = []
    where = f"order {order.amazon_order_id}"
    header = _document_header(order, account, cod_conto, id_ind_sped, document_date, currency_ids, warnings)
    if header.get("id_valuta") is not None and header["id_valuta"] in (exchange_rates or {}):
        header["cambio_vlt_euro"] = Decimal(exchange_rates[header["id_valuta"]])

    rows: list[dict] = []
    value_rows = []
    for row in sorted(order.rows, key=lambda r: r.line_no):
        if row.kind == "note":
            rows += [_note_row(line) for line in wrap(row.description, ROW_LIMITS["descr_riga"])]
        else:
            rows.append(_value_row(row, order.sigla, f"{where} row {row.line_no}", warnings))
            value_rows.append(row)

    rates = {code: rate for code, rate in map(row_vat, value_rows)}
    priced = [PricedRow(r["quantita"], r["prezzo"], r["cod_iva"], rates.get(r["cod_iva"]))
              for r in rows if r["tp_riga"] == "R"]
    target = cents(Decimal(order.total_gross))
    spesa = account.spesa_articles
    exempt = frozenset([spesa.rounding_vat_code])
    computed = document_total(order.sigla, priced, exempt)
    adjustment = target - computed
    if adjustment:
        bound = rounding_bound(order.sigla, value_rows)
        if abs(adjustment) > bound:
            raise UnmappableDocument(
                f"{where}: the rows add up to {computed} but the Amazon total is {target}: "
                f"a difference of {adjustment} is more than rounding ({bound}) can explain; a component "
                "(shipping, discount, gift wrap, promotion) is missing or wrong"
            )
        rows.append(_rounding_row(adjustment, spesa.rounding, spesa.rounding_vat_code))
        priced.append(PricedRow(Decimal(1), adjustment, spesa.rounding_vat_code))
    total = document_total(order.sigla, priced, exempt)
    if total != target:  # cannot happen: the adjustment row is outside the VAT base
        raise UnmappableDocument(f"{where}: internal error, document total {total} != Amazon total {target}")

    payload = {**header, **to_row_arrays(rows)}
    lookup = [_equals("rif_nr_attuale", order.amazon_order_id)]
    return MappedDocument(payload, lookup, warnings, total=total, adjustment=adjustment)


def _document_header(
    order: OrderInput,
    account: AccountConfig,
    cod_conto: str,
    id_ind_sped: str | None,
    document_date: dt.date | None,
    currency_ids: dict[str, int | None] | None,
    warnings: list[str],
) -> dict:
    where = f"order {order.amazon_order_id}"
    if len(order.amazon_order_id) > DOCUMENT_LIMITS["rif_nr_attuale"]:
        raise UnmappableDocument(f"{where}: the Amazon order id is longer than the external reference field")
    currencies = configured_currency_ids(account) if currency_ids is None else currency_ids
    if order.currency not in currencies:
        raise UnmappableDocument(f"{where}: currency {order.currency} has no gestionale id_valuta configured "
                                 f"(currencies.{order.currency} in the accounts file)")
    header: dict = {
        "sigla": DocumentSigla(order.sigla).value,
        "serie": account.orders_series,
        "numero": 0,  # the next number of the serie
        "cod_conto": cod_conto,
        "data_documento": _yyyymmdd(document_date or dt.date.today()),
        "id_magazzino": account.warehouse_afn if order.fulfilment_channel == "AFN" else account.warehouse_mfn,
        "rif_nr_attuale": order.amazon_order_id,
        "rif_dt_attuale": _yyyymmdd(order.purchase_date),
    }
    charged = shipping_charge(order.rows, account.spesa_articles)  # the one rule, read off the rows
    carrier = account.carrier if charged > 0 else account.carrier_free_shipping
    optional = {
        "id_causale": account.causale,
        "id_costo_ricavo": account.cost_centre,
        "id_ind_sped": id_ind_sped,
        "id_valuta": currencies[order.currency],
        "cod_vettore": fit(carrier, DOCUMENT_LIMITS["cod_vettore"], "cod_vettore", warnings, where) or None,
    }
    header.update({k: v for k, v in optional.items() if v is not None})
    return header


def _note_row(text: str) -> dict:
    return {"tp_riga": "D", "descr_riga": text}


def _value_row(row: OrderRowInput, sigla: str, where: str, warnings: list[str]) -> dict:
    """An article or spesa row as an ``R`` row, priced net (OC) or gross (OX)."""
    if row.kind not in ("article", "spesa"):
        raise UnmappableDocument(f"{where}: unknown row kind {row.kind!r}")
    if not row.article_code:
        raise UnmappableDocument(f"{where} ({row.kind}) has no article code")
    if len(row.article_code) > ROW_LIMITS["codice_articolo"]:
        raise UnmappableDocument(f"{where}: article code {row.article_code!r} is too long")
    return {
        "tp_riga": "R",
        "codice_articolo": row.article_code,
        "descr_riga": fit(row.description, ROW_LIMITS["descr_riga"], "descr_riga", warnings, where),
        "quantita": Decimal(row.quantity),
        "prezzo": document_price(row, sigla),
        "cod_iva": row_vat(row)[0],
    }


def _rounding_row(amount: Decimal, article: str, vat_exemption: str) -> dict:
    return {
        "tp_riga": "R",
        "codice_articolo": article,
        "descr_riga": ROUNDING_DESCRIPTION,
        "quantita": Decimal(1),
        "prezzo": amount,
        "cod_iva": vat_exemption,
    }


def to_row_arrays(rows: list[dict]) -> dict[str, list[list]]:
    """Rows as the WebAPI wants them: one ``[[row_index, value], ...]`` array per field."""
    arrays: dict[str, list[list]] = {"id_riga": []}
    for index, row in enumerate(rows, start=1):
        arrays["id_riga"].append([index, 0])  # 0: a new row
        for name, value in row.items():
            arrays.setdefault(name, []).append([index, value])
    return arrays
