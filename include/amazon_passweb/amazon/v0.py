"""Orders API v0 ``Order`` + ``OrderItem`` JSON -> the same domain ``AmazonOrder`` as v2026.

v0 spells enums differently (``Shipped``, ``NextDay``); they are normalised to the
v2026 names so both API versions give equal domain orders. ``ItemPrice`` is unit
price x quantity, so the unit price is derived by division.
"""

from __future__ import annotations

import re
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

VAT_NAMES = {"VATNUMBER", "VAT_NUMBER", "VATREGISTRATIONID"}
FISCAL_CODE_NAMES = {"CODICEFISCALE", "CODICE_FISCALE", "FISCALCODE", "FISCAL_CODE", "TAXCODE"}

# v2026 status (config.AmazonStatus) -> v0 OrderStatuses; v2026 SHIPPED covers InvoiceUnconfirmed.
V0_STATUSES: dict[AmazonStatus, tuple[str, ...]] = {
    AmazonStatus.PENDING_AVAILABILITY: ("PendingAvailability",),
    AmazonStatus.PENDING: ("Pending",),
    AmazonStatus.UNSHIPPED: ("Unshipped",),
    AmazonStatus.PARTIALLY_SHIPPED: ("PartiallyShipped",),
    AmazonStatus.SHIPPED: ("Shipped", "InvoiceUnconfirmed"),
    AmazonStatus.CANCELLED: ("Canceled",),
    AmazonStatus.UNFULFILLABLE: ("Unfulfillable",),
}


def upper_snake(value: str | None) -> str | None:
    """``NextDay`` -> ``NEXT_DAY`` (the v2026 spelling)."""
    text = clean(value)
    if text is None:
        return None
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text).upper().replace(" ", "_")


def order_from_v0(data: dict[str, Any], items: list[dict[str, Any]]) -> AmazonOrder:
    order_id = str(data.get("AmazonOrderId") or "")
    if not order_id:
        raise MappingError("an order has no AmazonOrderId")
    if len(order_id) > MAX_ORDER_ID_LENGTH:
        raise MappingError(f"AmazonOrderId {order_id[:40]!r}... is longer than {MAX_ORDER_ID_LENGTH} characters")
    if not data.get("OrderStatus"):
        raise MappingError(f"order {order_id}: OrderStatus missing")
    try:
        status = AmazonStatus.parse(str(data["OrderStatus"]))
    except ValueError:
        raise MappingError(f"order {order_id}: unknown OrderStatus {data.get('OrderStatus')!r}") from None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise MappingError(f"order {order_id}: OrderItems is not a list of items")
    mapped_items = tuple(_item(order_id, item) for item in items)
    total = data.get("OrderTotal") or {}
    if total.get("Amount") not in (None, ""):
        order_total = parse_amount(total["Amount"], order_id, "OrderTotal")
    else:
        order_total = sum((item.line_total for item in mapped_items), ZERO)
    service_level = upper_snake(data.get("ShipmentServiceLevelCategory"))
    requested, reason = buyer_cancel_request(items)
    return AmazonOrder(
        amazon_order_id=order_id,
        marketplace_id=str(data.get("MarketplaceId") or ""),
        purchase_date=parse_datetime(data.get("PurchaseDate"), order_id, "PurchaseDate"),
        last_update_date=parse_datetime(data.get("LastUpdateDate"), order_id, "LastUpdateDate"),
        status=status,
        fulfillment_channel=FulfillmentChannel(data.get("FulfillmentChannel") or "MFN"),
        shipping_level=ShippingLevel.from_amazon(service_level),
        shipping_service_level_raw=service_level,
        is_business=bool(data.get("IsBusinessOrder")),
        is_prime=bool(data.get("IsPrime")),
        currency=total.get("CurrencyCode") or _first_currency(items) or "EUR",
        order_total=order_total,
        buyer=_buyer(data, order_id),
        delivery_address=address_from(data.get("ShippingAddress"), pascal_case=True),
        items=mapped_items,
        buyer_cancel_requested=requested,
        buyer_cancel_reason=reason,
    )


def buyer_cancel_request(items: list[dict[str, Any]]) -> tuple[bool, str | None]:
    """Whether an item carries ``BuyerRequestedCancel.IsBuyerRequestedCancel`` "true" (a string in
    v0's model; a boolean is read too), and the buyer's reason."""
    for item in items:
        request = item.get("BuyerRequestedCancel")
        if isinstance(request, dict) and str(request.get("IsBuyerRequestedCancel")).lower() == "true":
            return True, clean(request.get("BuyerCancelReason"))
    return False, None


def _first_currency(items: list[dict[str, Any]]) -> str | None:
    for item in items:
        currency = (item.get("ItemPrice") or {}).get("CurrencyCode")
        if currency:
            return currency
    return None


def _buyer(data: dict[str, Any], order_id: str) -> Buyer:
    info = data.get("BuyerInfo") or {}
    if not isinstance(info, dict):
        raise MappingError(f"order {order_id}: BuyerInfo is not an object")
    tax_info = info.get("BuyerTaxInfo") or {}
    vat_number = fiscal_code = None
    for classification in tax_info.get("TaxClassifications") or ():
        name = str(classification.get("Name") or "").upper()
        if name in VAT_NAMES:
            vat_number = vat_number or clean(classification.get("Value"))
        elif name in FISCAL_CODE_NAMES:
            fiscal_code = fiscal_code or clean(classification.get("Value"))
    return Buyer(
        name=clean(info.get("BuyerName")),
        email=clean(info.get("BuyerEmail")),
        company=clean(tax_info.get("CompanyLegalName")),
        vat_number=vat_number,
        fiscal_code=fiscal_code,
    )


def _money(raw: dict[str, Any], key: str, order_id: str) -> Decimal:
    return parse_amount((raw.get(key) or {}).get("Amount"), order_id, key)


def _item(order_id: str, raw: dict[str, Any]) -> OrderItem:
    quantity = parse_quantity(raw.get("QuantityOrdered"), order_id, "QuantityOrdered")
    line_price = _money(raw, "ItemPrice", order_id)
    unit_price = line_price / quantity if quantity else line_price
    if quantity:
        unit_price = unit_price.quantize(Decimal(1).scaleb(line_price.as_tuple().exponent))
    gift = raw.get("BuyerInfo") or {}
    return OrderItem(
        order_item_id=str(raw.get("OrderItemId") or ""),
        seller_sku=clean(raw.get("SellerSKU")),
        asin=str(raw.get("ASIN") or ""),
        title=clean(raw.get("Title")),
        quantity=quantity,
        unit_price=unit_price,
        item_tax=_money(raw, "ItemTax", order_id),
        shipping_price=_money(raw, "ShippingPrice", order_id),
        shipping_tax=_money(raw, "ShippingTax", order_id),
        shipping_discount=abs(_money(raw, "ShippingDiscount", order_id)),
        promotion_discount=abs(_money(raw, "PromotionDiscount", order_id)),
        gift_wrap_price=_money(gift, "GiftWrapPrice", order_id),
        gift_wrap_tax=_money(gift, "GiftWrapTax", order_id),
        promotion_ids=tuple(str(p) for p in raw.get("PromotionIds") or ()),
        marketplace_facilitator=(raw.get("TaxCollection") or {}).get("Model") == "MarketplaceFacilitator",
    )
