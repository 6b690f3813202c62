"""Orders API v2026-01-01 ``Order`` JSON -> domain ``AmazonOrder``.

Money comes from ``proceeds.breakdowns`` of each item: ``SHIPPING`` and ``GIFT_WRAP``
subtotals, ``TAX`` split by ``detailedBreakdowns`` subtype (``ITEM``, ``SHIPPING``,
``GIFT_WRAP``), ``DISCOUNT`` split into promotion (``ITEM``) and shipping
(``SHIPPING``) discounts. EU prices include VAT, so the ``TAX`` amounts are the VAT
contained in the gross amounts, exactly as v0 reports ``ItemTax``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from amazon_passweb.amazon.mapping_common import (
    MAX_ORDER_ID_LENGTH,
    MappingError,
    address_from,
    clean,
    parse_amount,
    parse_datetime,
    parse_quantity,
)
from amazon_passweb.amazon.models import (
    ZERO,
    AmazonOrder,
    Buyer,
    FulfillmentChannel,
    OrderItem,
    ShippingLevel,
)
from amazon_passweb.config import AmazonStatus

# What the import needs; EXPENSE, PACKAGES, PAYMENT... are left out to keep pages small. CANCELLATION
# brings the buyer's requests to cancel in the import's own pages (domain.md §7): no extra call.
INCLUDED_DATA = ("BUYER", "RECIPIENT", "PROCEEDS", "PROMOTION", "FULFILLMENT", "TAX", "CANCELLATION")

VAT_REGISTRATION_TYPES = {"VAT", "BUSINESS"}
TAX_TARGETS = {"ITEM": "item_tax", "SHIPPING": "shipping_tax", "GIFT_WRAP": "gift_wrap_tax"}
FISCAL_CODE_KEYS = {"FISCAL_CODE", "CODICE_FISCALE", "FISCALCODE", "TAX_CODE"}


def order_from_v2026(data: dict[str, Any]) -> AmazonOrder:
    order_id = str(data.get("orderId") or "")
    if not order_id:
        raise MappingError("an order has no orderId")
    if len(order_id) > MAX_ORDER_ID_LENGTH:  # Amazon's are 19 ("402-1234567-1234567")
        raise MappingError(f"orderId {order_id[:40]!r}... is longer than {MAX_ORDER_ID_LENGTH} characters")
    fulfillment = _section(data, "fulfillment", order_id)
    if not fulfillment.get("fulfillmentStatus"):
        raise MappingError(f"order {order_id}: fulfillment.fulfillmentStatus missing (request FULFILLMENT)")
    programs = set(data.get("programs") or ())
    raw_items = data.get("orderItems") or []
    if not isinstance(raw_items, list) or not all(isinstance(item, dict) for item in raw_items):
        raise MappingError(f"order {order_id}: orderItems is not a list of items")
    items = tuple(_item(order_id, item) for item in raw_items)
    grand_total = _section(_section(data, "proceeds", order_id), "grandTotal", order_id)
    currency = grand_total.get("currencyCode") or _first_currency(data) or "EUR"
    if grand_total.get("amount") not in (None, ""):
        total = parse_amount(grand_total["amount"], order_id, "proceeds.grandTotal")
    else:
        total = sum((item.line_total for item in items), ZERO)
    service_level = clean(fulfillment.get("fulfillmentServiceLevel"))
    requested, reason = buyer_cancel_request(raw_items)
    return AmazonOrder(
        amazon_order_id=order_id,
        marketplace_id=str((data.get("salesChannel") or {}).get("marketplaceId") or ""),
        purchase_date=parse_datetime(data.get("createdTime"), order_id, "createdTime"),
        last_update_date=parse_datetime(data.get("lastUpdatedTime"), order_id, "lastUpdatedTime"),
        status=AmazonStatus(fulfillment["fulfillmentStatus"]),
        fulfillment_channel=(
            FulfillmentChannel.AFN if fulfillment.get("fulfilledBy") == "AMAZON" else FulfillmentChannel.MFN
        ),
        shipping_level=ShippingLevel.from_amazon(service_level),
        shipping_service_level_raw=service_level,
        is_business="AMAZON_BUSINESS" in programs,
        is_prime="PRIME" in programs,
        currency=currency,
        order_total=total,
        buyer=_buyer(data, order_id),
        delivery_address=address_from(_section(_section(data, "recipient", order_id), "deliveryAddress", order_id)),
        items=items,
        buyer_cancel_requested=requested,
        buyer_cancel_reason=reason,
    )


def buyer_cancel_request(raw_items: list[dict[str, Any]]) -> tuple[bool, str | None]:
    """Whether an item carries ``cancellation.cancellationRequest`` by the BUYER, and its reason."""
    for item in raw_items:
        cancellation = item.get("cancellation")
        request = cancellation.get("cancellationRequest") if isinstance(cancellation, dict) else None
        if isinstance(request, dict) and str(request.get("requester") or "").upper() == "BUYER":
            return True, clean(request.get("cancelReason"))
    return False, None


def _section(data: dict[str, Any], key: str, order_id: str) -> dict[str, Any]:
    """A nested object of the order; absent is empty, anything but an object is unreadable."""
    value = data.get(key)
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise MappingError(f"order {order_id}: {key} is not an object")
    return value


def _first_currency(data: dict[str, Any]) -> str | None:
    for item in data.get("orderItems") or ():
        price = ((item.get("product") or {}).get("price") or {}).get("unitPrice") or {}
        if price.get("currencyCode"):
            return price["currencyCode"]
    return None


def _buyer(data: dict[str, Any], order_id: str) -> Buyer:
    buyer = _section(data, "buyer", order_id)
    vat_number = fiscal_code = legal_name = None
    for registration in (data.get("tax") or {}).get("taxRegistrations") or ():
        if registration.get("entityType") != "BUYER":
            continue
        if registration.get("taxRegistrationType") in VAT_REGISTRATION_TYPES:
            vat_number = vat_number or clean(registration.get("taxRegistrationNumber"))
        legal_name = legal_name or clean(registration.get("legalName"))
        for attribute in registration.get("taxRegistrationAttributes") or ():
            if str(attribute.get("key", "")).upper() in FISCAL_CODE_KEYS:
                fiscal_code = fiscal_code or clean(attribute.get("value"))
    return Buyer(
        name=clean(buyer.get("buyerName")),
        email=clean(buyer.get("buyerEmail")),
        company=clean(buyer.get("buyerCompanyName")) or legal_name,
        vat_number=vat_number,
        fiscal_code=fiscal_code,
    )


def _item(order_id: str, raw: dict[str, Any]) -> OrderItem:
    product = raw.get("product") or {}
    amounts: dict[str, Decimal] = {}

    def amount(money: Any, key: str) -> Decimal:
        return parse_amount((money or {}).get("amount"), order_id, f"item {raw.get('orderItemId')} {key}")

    def add(key: str, value: Decimal) -> None:
        amounts[key] = amounts.get(key, ZERO) + value

    for breakdown in (raw.get("proceeds") or {}).get("breakdowns") or ():
        kind = breakdown.get("type")
        details = breakdown.get("detailedBreakdowns") or ()
        if kind == "SHIPPING":
            add("shipping_price", amount(breakdown.get("subtotal"), "shipping_price"))
        elif kind == "GIFT_WRAP":
            add("gift_wrap_price", amount(breakdown.get("subtotal"), "gift_wrap_price"))
        elif kind in ("TAX", "DISCOUNT"):
            # Discounts reduce proceeds (negative amounts); the domain keeps positive ones (below).
            # Details are optional in Amazon's model: the part of the subtotal they do not account
            # for (all of it without details) applies to the item itself.
            item_key = "item_tax" if kind == "TAX" else "promotion_discount"
            rest = amount(breakdown.get("subtotal"), item_key)
            for detail in details:
                subtype = detail.get("subtype")
                value = amount(detail.get("value"), f"{kind} {subtype}")
                rest -= value
                if kind == "TAX":
                    # Tax on discounts (subtype DISCOUNT) is implied by the discounts and not kept.
                    if subtype in TAX_TARGETS:
                        add(TAX_TARGETS[subtype], value)
                # A discount on the COD fee offsets that fee, which the domain order does not carry
                # either (as v0's CODFee / CODFeeDiscount are not read): it is no promotion on the goods.
                elif subtype != "COD_FEE":
                    add("shipping_discount" if subtype == "SHIPPING" else "promotion_discount", value)
            if rest:
                add(item_key, rest)
    for key in ("promotion_discount", "shipping_discount"):
        if key in amounts:
            amounts[key] = abs(amounts[key])
    promotions = tuple(
        str(entry["promotionId"])
        for entry in (raw.get("promotion") or {}).get("breakdowns") or ()
        if entry.get("promotionId")
    )
    unit = (product.get("price") or {}).get("unitPrice")
    return OrderItem(
        order_item_id=str(raw.get("orderItemId") or ""),
        seller_sku=clean(product.get("sellerSku")),
        asin=str(product.get("asin") or ""),
        title=clean(product.get("title")),
        quantity=parse_quantity(raw.get("quantityOrdered"), order_id, "quantityOrdered"),
        unit_price=parse_amount((unit or {}).get("amount"), order_id, "unitPrice"),
        promotion_ids=promotions,
        marketplace_facilitator=any(
            (collection or {}).get("model") == "MARKETPLACE_FACILITATOR"
            for collection in (raw.get("tax") or {}).get("taxCollections") or ()
        ),
        **amounts,
    )
