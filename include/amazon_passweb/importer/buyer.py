"""Who bought an Amazon order, as the site's customer and shipping address (domain.md §4).

The buyer is matched by email when Amazon gives a usable one; a missing email or
the shared Amazon Business relay address (``no-reply-amazon-iba-buyer@…``) never
identifies anybody, and the site store falls back to a deterministic identity:
VAT number or company for a business buyer, normalised name + postal code +
street for a private one (``site.records.NewCustomer.identity``).
"""

from __future__ import annotations

from amazon_passweb.amazon.models import AmazonOrder
from amazon_passweb.orders import identity
from amazon_passweb.orders.status import PENDING_STATUSES
from amazon_passweb.site.records import NewAddress, NewCustomer
from amazon_passweb.site.states import CustomerKind, Origin


def has_usable_address(order: AmazonOrder) -> bool:
    """A shipping address the goods can go to: a street, a postal code and a city."""
    address = order.delivery_address
    return (address is not None and any(line and line.strip() for line in address.lines)
            and bool((address.postal_code or "").strip()) and bool((address.city or "").strip()))


def awaits_address(order: AmazonOrder) -> bool:
    """A Pending order comes without the buyer's address: it waits for the version that has it
    (an AFN order never gets one and follows the AFN rule instead)."""
    return order.status in PENDING_STATUSES and not order.is_afn and not has_usable_address(order)


def lacks_buyer_data(order: AmazonOrder) -> bool:
    """The order cannot become a customer of its own.

    AFN orders arrive without the buyer's name and street, or with the name alone:
    without a usable address they are incomplete (or go to the placeholder customer),
    whatever else Amazon sent. Any other order only when Amazon gave neither name nor address."""
    if order.is_afn:
        return not has_usable_address(order)
    address = order.delivery_address
    has_address = address is not None and bool(address.name) and bool(address.lines)
    return not has_address and not order.buyer.name


def is_company(order: AmazonOrder) -> bool:
    """A business order with a company name or a VAT number is a company customer (orders.identity)."""
    return identity.is_company(is_business=order.is_business, company=_company(order),
                               vat_number=order.buyer.vat_number)


def _company(order: AmazonOrder) -> str | None:
    return order.buyer.company or (order.delivery_address.company if order.delivery_address else None)


def shipping_address(order: AmazonOrder) -> NewAddress | None:
    address = order.delivery_address
    if address is None or not address.lines:
        return None
    lines = [line for line in address.lines if line and line.strip()]
    return NewAddress(
        name=address.name or order.buyer.name,
        line1=lines[0] if lines else None,
        line2=", ".join(lines[1:]) or None,
        postal_code=address.postal_code,
        city=address.city,
        province=address.state_or_region,
        country_code=address.country_code,
        phone=address.phone,
        origin=Origin.AMAZON,
    )


def customer(order: AmazonOrder, account_id: str) -> NewCustomer:
    company = _company(order)
    address = order.delivery_address
    return NewCustomer(
        kind=CustomerKind.COMPANY if is_company(order) else CustomerKind.PRIVATE,
        name=order.buyer.name or (address.name if address else None),
        company=company if is_company(order) else None,
        email=order.buyer.email,
        vat_number=order.buyer.vat_number,
        fiscal_code=order.buyer.fiscal_code,
        phone=address.phone if address else None,
        origin=Origin.AMAZON,
        source_account=account_id,
        can_login=False,  # customers created from Amazon never get site credentials
    )
