"""Completing an order left "Incompleto da Logistica Amazon": the buyer's data the operator found
(Seller Central, the buyer's message), or the account's placeholder customer. Shared by the orders
page ("Completa ordine") and the command line (``orders complete-afn``).

The buyer becomes a site customer by the same identity rules as an import (``site.customers``
``get_or_create``: the usable email, else name + postal code + street), so a buyer already known
is reused, never duplicated. The order becomes Registrato and reaches the gestionale with the next
partial push (the account's next import or Sincro Ordini). Refusals say why, in Italian; nothing
typed here is logged (it is buyer data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from amazon_passweb.config import AccountConfig, AccountsFile
from amazon_passweb.notify.messages import Kind, message
from amazon_passweb.site.errors import StateConflict
from amazon_passweb.site.records import NewAddress, NewCustomer
from amazon_passweb.site.states import CustomerKind, InboxStatus, OrderState, Origin
from amazon_passweb.site.unit_of_work import SiteStore

# The site's column lengths are generous; these keep one field to what a label or a street can be.
FIELD_LENGTH = 120
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_PROVINCE_IT = re.compile(r"^[A-Z]{2}$")
_POSTAL_CODE_IT = re.compile(r"^\d{5}$")
FIELDS = (  # (form name, Italian label), in the order the form shows them
    ("name", "Nome e cognome (o ragione sociale)"),
    ("line1", "Indirizzo"),
    ("postal_code", "CAP"),
    ("city", "Città"),
    ("province", "Provincia"),
    ("country", "Paese"),
)


class CompletionRefused(ValueError):
    """The order was not completed; the message says why, for the operator."""


@dataclass(frozen=True)
class BuyerData:
    name: str | None = None
    line1: str | None = None
    postal_code: str | None = None
    city: str | None = None
    province: str | None = None
    country: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Completed:
    account: str
    amazon_order_id: str
    site_order: str  # sezionale/number
    placeholder: str | None  # the placeholder customer's code, when the order went to it
    customer_new: bool


def _clean(value: str | None) -> str | None:
    return " ".join((value or "").split()) or None


def checked_buyer(data: BuyerData) -> BuyerData:
    """The buyer's data trimmed and checked: every field but the email is needed to ship and invoice."""
    cleaned = BuyerData(**{name: _clean(getattr(data, name)) for name in BuyerData.__dataclass_fields__})
    country = (cleaned.country or "").upper() or None
    province = ((cleaned.province or "").upper() or None) if country == "IT" else cleaned.province
    cleaned = BuyerData(cleaned.name, cleaned.line1, cleaned.postal_code, cleaned.city, province, country,
                        cleaned.email)
    missing = [label for name, label in FIELDS if not getattr(cleaned, name)]
    if missing:
        raise CompletionRefused("Dati incompleti: indica " + ", ".join(missing) + ".")
    too_long = [label for name, label in FIELDS if len(getattr(cleaned, name)) > FIELD_LENGTH]
    if too_long:
        raise CompletionRefused(f"Troppo lungo (al massimo {FIELD_LENGTH} caratteri): " + ", ".join(too_long) + ".")
    if not _COUNTRY.match(cleaned.country):
        raise CompletionRefused("Paese: indica il codice ISO di due lettere (es. IT, DE, FR).")
    if cleaned.country == "IT":
        if not _PROVINCE_IT.match(cleaned.province):
            raise CompletionRefused("Provincia: indica la sigla di due lettere (es. MI, RM).")
        if not _POSTAL_CODE_IT.match(cleaned.postal_code):
            raise CompletionRefused("CAP: per un indirizzo italiano servono 5 cifre.")
    if cleaned.email and not _EMAIL.match(cleaned.email):
        raise CompletionRefused("Email non valida: lasciala vuota se non la conosci.")
    return cleaned


def incomplete_account(accounts: AccountsFile, account_id: str) -> AccountConfig:
    try:
        return accounts.account((account_id or "").strip())
    except KeyError:
        known = ", ".join(a.id for a in accounts.accounts)
        raise CompletionRefused(
            f"L'account «{(account_id or '')[:40]}» non è nel file degli account (account: {known}).") from None


def complete_afn_order(store: SiteStore, accounts: AccountsFile, account_id: str, amazon_order_id: str,
                       buyer: BuyerData | None, *, user: str) -> Completed:
    """Complete the account's incomplete AFN order with ``buyer``, or (``buyer`` None) with the
    account's placeholder customer. Raises ``CompletionRefused``."""
    account = incomplete_account(accounts, account_id)
    amazon_order_id = (amazon_order_id or "").strip()
    if buyer is None and not account.afn_placeholder_customer:
        raise CompletionRefused(
            f"L'account {account.id} non ha un cliente segnaposto (afn_placeholder_customer): "
            "indica i dati dell'acquirente.")
    checked = checked_buyer(buyer) if buyer is not None else None
    with store.unit_of_work() as uow:
        order = uow.orders.find(account.id, amazon_order_id)
        if order is None:
            raise CompletionRefused(f"L'ordine Amazon «{amazon_order_id[:40]}» non è tra gli ordini sito di "
                                    f"{account.id}.")
        site_order = f"{order.sezionale}/{order.number}"
        if order.state is not OrderState.INCOMPLETO_AFN:
            raise CompletionRefused(f"L'ordine sito {site_order} è {order.state.value}: solo un ordine "
                                    f"{OrderState.INCOMPLETO_AFN.value} si completa.")
        customer_id = address_id = None
        customer_new = False
        if checked is not None:
            # Origin AMAZON: the data is the Amazon buyer's, erased with the order's other buyer data.
            new_customer = NewCustomer(kind=CustomerKind.PRIVATE, name=checked.name, email=checked.email,
                                       origin=Origin.AMAZON, source_account=account.id, can_login=False)
            address = NewAddress(name=checked.name, line1=checked.line1, postal_code=checked.postal_code,
                                 city=checked.city, province=checked.province, country_code=checked.country,
                                 origin=Origin.AMAZON)
            match = uow.customers.get_or_create(new_customer, address)
            customer_id, customer_new = match.customer.id, match.created
            address_id = uow.customers.get_or_add_address(customer_id, address).address.id
            done = message(Kind.AFN_COMPLETED, user=user, site_order=site_order)
        else:
            done = message(Kind.AFN_PLACEHOLDER, user=user, customer=account.afn_placeholder_customer,
                           site_order=site_order)
        try:
            uow.orders.complete_afn(order.id, customer_id, address_id)
        except StateConflict:
            raise CompletionRefused(f"L'ordine sito {site_order} è stato completato nel frattempo: "
                                    "ricarica la pagina.") from None
        uow.inbox.mark(account.id, amazon_order_id, InboxStatus.IMPORTED, message=done.text, order_id=order.id)
    return Completed(account.id, amazon_order_id, site_order,
                     None if checked else account.afn_placeholder_customer, customer_new)
