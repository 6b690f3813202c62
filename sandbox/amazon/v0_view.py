"""The v0 view of a v2026-01-01 order, so both API versions serve the same data.

Restricted data (buyer info, full shipping address, gift wrap) is included only
when the call carries a Restricted Data Token that covers it, as on Amazon.

Money is translated field by field from the item's ``proceeds.breakdowns`` (Amazon's
``ItemProceedsBreakdown``) into the v0 ``OrderItem`` amounts; nothing is recomputed, so
``OrderTotal`` is ``proceeds.grandTotal`` and the amounts keep whatever tax convention the
marketplace uses. Neither model says whether ``ITEM`` proceeds include tax: Amazon's own
Amazon.com example adds ``TAX`` on top (39.99 + 10.00 = 49.99), EU marketplaces show prices
with VAT included and ``TAX`` is the VAT they contain (the generator's orders). v0's
``ItemPrice`` / ``ItemTax`` carry the same ambiguity, so a one-to-one copy is right for both.

Like the v2026 handlers, the view serves what it is given: a value that is not the type
Amazon documents (a hostile order) is passed on as it is, never "repaired".
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

V0_STATUS = {
    "PENDING_AVAILABILITY": "PendingAvailability",
    "PENDING": "Pending",
    "UNSHIPPED": "Unshipped",
    "PARTIALLY_SHIPPED": "PartiallyShipped",
    "SHIPPED": "Shipped",
    "CANCELLED": "Canceled",
    "UNFULFILLABLE": "Unfulfillable",
}
STATUS_FROM_V0 = {v0: v2026 for v2026, v0 in V0_STATUS.items()} | {"InvoiceUnconfirmed": "SHIPPED"}
# Amazon shows the shipping address only in these statuses.
ADDRESS_VISIBLE = {"Unshipped", "PartiallyShipped", "Shipped", "InvoiceUnconfirmed"}

# v0 OrderItem amounts the proceeds translate into (CODFee / CODFeeDiscount only when charged).
ITEM_AMOUNTS = (
    "ItemTax",
    "ShippingPrice",
    "ShippingTax",
    "ShippingDiscount",
    "ShippingDiscountTax",
    "PromotionDiscount",
    "PromotionDiscountTax",
    "GiftWrapPrice",
    "GiftWrapTax",
    "CODFee",
    "CODFeeDiscount",
)
# ItemProceedsBreakdown types that are charges, and their v0 field. OTHER has no v0 field: it
# stays in OrderTotal (grandTotal) only, as v0 has no place for it.
CHARGES = {"SHIPPING": "ShippingPrice", "GIFT_WRAP": "GiftWrapPrice", "COD_FEE": "CODFee"}
# TAX detail subtypes -> v0 tax fields. v0 has no tax field for COD_FEE or OTHER: that VAT is
# not shown on v0 (it is contained in the gross charge, as all EU VAT is). DISCOUNT is the tax
# on discounts, split between v0's two discount tax fields (see _discount_tax).
TAXES = {"ITEM": "ItemTax", "SHIPPING": "ShippingTax", "GIFT_WRAP": "GiftWrapTax"}
# DISCOUNT detail subtypes -> v0 discount fields. A discount on gift wrap, on OTHER or of
# subtype DISCOUNT has no v0 field of its own: v0's PromotionDiscount is "the total of all
# promotional discounts", so it goes there.
DISCOUNTS = {"SHIPPING": "ShippingDiscount", "COD_FEE": "CODFeeDiscount"}
CENT = Decimal("0.01")


def camel(value: str) -> str:
    """``NEXT_DAY`` -> ``NextDay`` (v0 spelling)."""
    return "".join(part.capitalize() for part in value.lower().split("_"))


def _number(value: Any) -> Decimal | None:
    """An amount or count as Amazon sent it (string or JSON number), or None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _text(amount: Decimal) -> str:
    """v0 writes amounts with two decimals; finer amounts are kept exactly, not rounded."""
    if not amount.is_finite():
        return str(amount)
    return f"{amount:.2f}" if amount.as_tuple().exponent >= -2 else f"{amount:f}"


def _money(amount: Decimal | str, currency: str) -> dict[str, str]:
    return {"CurrencyCode": currency, "Amount": amount if isinstance(amount, str) else _text(amount)}


def _amount(money: Any) -> Decimal:
    return _number((money or {}).get("amount") if isinstance(money, dict) else None) or Decimal(0)


def item_amounts(item: dict[str, Any]) -> dict[str, Decimal]:
    """Read an item's proceeds breakdowns into v0's line amounts (discounts positive, as v0 has them).

    Amazon's model makes ``detailedBreakdowns`` optional ("further granular breakdown of the
    subtotal") and is silent on what a ``TAX`` or ``DISCOUNT`` subtotal without them (or the part of
    the subtotal they do not account for) applies to. It is read as applying to the item itself:
    ItemTax and PromotionDiscount, the only reading that needs no guess about shipping and still
    keeps every amount, hence the order total."""
    amounts = dict.fromkeys(ITEM_AMOUNTS, Decimal(0))
    discount_tax = Decimal(0)
    for breakdown in (item.get("proceeds") or {}).get("breakdowns") or ():
        kind = breakdown.get("type")
        subtotal = _amount(breakdown.get("subtotal"))
        details = [d for d in breakdown.get("detailedBreakdowns") or () if isinstance(d, dict)]
        unaccounted = subtotal - sum((_amount(d.get("value")) for d in details), Decimal(0))
        if kind in CHARGES:
            amounts[CHARGES[kind]] += subtotal
        elif kind == "TAX":
            for detail in details:
                value = _amount(detail.get("value"))
                if detail.get("subtype") == "DISCOUNT":
                    discount_tax += -value  # tax on a discount reduces tax: negative in v2026
                elif detail.get("subtype") in TAXES:
                    amounts[TAXES[detail["subtype"]]] += value
            amounts["ItemTax"] += unaccounted
        elif kind == "DISCOUNT":  # negative in v2026 (it reduces proceeds), positive in v0
            for detail in details:
                amounts[DISCOUNTS.get(detail.get("subtype"), "PromotionDiscount")] -= _amount(detail.get("value"))
            amounts["PromotionDiscount"] -= unaccounted
    amounts["ShippingDiscountTax"], amounts["PromotionDiscountTax"] = _discount_tax(discount_tax, amounts)
    return amounts


def _discount_tax(tax: Decimal, amounts: dict[str, Decimal]) -> tuple[Decimal, Decimal]:
    """Tax on discounts (TAX detail ``DISCOUNT``) as (ShippingDiscountTax, PromotionDiscountTax).

    v2026 gives one amount for all discounts; the model does not say how it divides between
    shipping and other discounts. It is divided in proportion to the discounts (to the cent, the
    rest on the promotion), so the two v0 fields always add up to Amazon's amount."""
    shipping, others = amounts["ShippingDiscount"], amounts["PromotionDiscount"] + amounts["CODFeeDiscount"]
    if not tax or not shipping:
        return Decimal(0), tax
    if not others:
        return tax, Decimal(0)
    on_shipping = (tax * shipping / (shipping + others)).quantize(CENT)
    return on_shipping, tax - on_shipping


def _currency(order: dict[str, Any]) -> str:
    total = (order.get("proceeds") or {}).get("grandTotal") or {}
    return total.get("currencyCode") or "EUR"


def _count(value: Any) -> int:
    """A quantity for v0's item counters; one that is not a whole number counts as none."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _items(order: dict[str, Any]) -> list[Any]:
    items = order.get("orderItems")
    return items if isinstance(items, list) else []


def v0_status(order: dict[str, Any]) -> str | None:
    """v0's OrderStatus; a status v2026 does not document is passed on in v0 spelling."""
    status = (order.get("fulfillment") or {}).get("fulfillmentStatus")
    if not isinstance(status, str):
        return None
    return V0_STATUS.get(status) or camel(status)


def order_v0(order: dict[str, Any], restricted: bool) -> dict[str, Any]:
    fulfillment = order.get("fulfillment") or {}
    channel = order.get("salesChannel") or {}
    programs = set(order.get("programs") or ())
    status = v0_status(order)
    currency = _currency(order)
    items = [i for i in _items(order) if isinstance(i, dict)]
    shipped = sum(_count((i.get("fulfillment") or {}).get("quantityFulfilled", 0)) for i in items)
    ordered = sum(_count(i.get("quantityOrdered", 0)) for i in items)
    level = fulfillment.get("fulfillmentServiceLevel") or "STANDARD"
    result: dict[str, Any] = {
        "AmazonOrderId": order.get("orderId"),
        "PurchaseDate": order.get("createdTime"),
        "LastUpdateDate": order.get("lastUpdatedTime"),
        "OrderStatus": status,
        "FulfillmentChannel": "AFN" if fulfillment.get("fulfilledBy") == "AMAZON" else "MFN",
        "SalesChannel": channel.get("marketplaceName", "Amazon.it"),
        "ShipServiceLevel": f"{camel(level)} IT",
        "NumberOfItemsShipped": shipped,
        "NumberOfItemsUnshipped": ordered - shipped,
        "PaymentMethod": "Other",
        "PaymentMethodDetails": ["Standard"],
        "MarketplaceId": channel.get("marketplaceId"),
        "ShipmentServiceLevelCategory": camel(level),
        "OrderType": "Preorder" if status == "PendingAvailability" else "StandardOrder",
        "IsBusinessOrder": "AMAZON_BUSINESS" in programs,
        "IsPrime": "PRIME" in programs,
        "IsPremiumOrder": "PREMIUM" in programs,
        "IsGlobalExpressEnabled": False,
        "IsReplacementOrder": False,
        "IsSoldByAB": False,
        "IsISPU": False,
        "IsAccessPointOrder": False,
        "HasRegulatedItems": False,
    }
    grand_total = (order.get("proceeds") or {}).get("grandTotal")
    if grand_total:
        amount = _number(grand_total.get("amount"))
        result["OrderTotal"] = _money(str(grand_total.get("amount")) if amount is None else amount, currency)
    window = fulfillment.get("shipByWindow") or {}
    if window:
        result["EarliestShipDate"] = window.get("earliestDateTime")
        result["LatestShipDate"] = window.get("latestDateTime")
    address = (order.get("recipient") or {}).get("deliveryAddress")
    if address and status in ADDRESS_VISIBLE:
        result["ShippingAddress"] = address_v0(address, restricted)
    if restricted:
        result["BuyerInfo"] = buyer_info_v0(order)
    return {k: v for k, v in result.items() if v is not None}


def address_v0(address: dict[str, Any], restricted: bool) -> dict[str, Any]:
    names = {
        "name": "Name",
        "companyName": "CompanyName",
        "addressLine1": "AddressLine1",
        "addressLine2": "AddressLine2",
        "addressLine3": "AddressLine3",
        "city": "City",
        "districtOrCounty": "County",
        "stateOrRegion": "StateOrRegion",
        "municipality": "Municipality",
        "postalCode": "PostalCode",
        "countryCode": "CountryCode",
        "phone": "Phone",
    }
    public = {"city", "stateOrRegion", "postalCode", "countryCode"}
    result = {names[k]: v for k, v in address.items() if k in names and (restricted or k in public)}
    if restricted and address.get("addressType") in ("RESIDENTIAL", "COMMERCIAL"):
        result["AddressType"] = address["addressType"].capitalize()
    return result


def buyer_info_v0(order: dict[str, Any]) -> Any:
    buyer = order.get("buyer") or {}
    if not isinstance(buyer, dict):
        return buyer  # a hostile buyer section is served as it came
    info: dict[str, Any] = {}
    if buyer.get("buyerEmail"):
        info["BuyerEmail"] = buyer["buyerEmail"]
    if buyer.get("buyerName"):
        info["BuyerName"] = buyer["buyerName"]
    for registration in (order.get("tax") or {}).get("taxRegistrations") or ():
        if registration.get("entityType") != "BUYER":
            continue
        classifications = [{"Name": "VATNumber", "Value": registration["taxRegistrationNumber"]}]
        for attribute in registration.get("taxRegistrationAttributes") or ():
            if attribute.get("key") == "FISCAL_CODE" and attribute.get("value"):
                classifications.append({"Name": "CodiceFiscale", "Value": attribute["value"]})
        info["BuyerTaxInfo"] = {
            "CompanyLegalName": buyer.get("buyerCompanyName") or registration.get("legalName"),
            "TaxingRegion": "IT",
            "TaxClassifications": classifications,
        }
    if "BuyerTaxInfo" not in info and buyer.get("buyerCompanyName"):
        info["BuyerTaxInfo"] = {"CompanyLegalName": buyer["buyerCompanyName"]}
    return info


def _item_price(item: dict[str, Any], product: dict[str, Any]) -> Decimal | str:
    """v0's ItemPrice: "the selling price of the item multiplied by the quantity ordered"; without a
    unit price, the ITEM proceeds. A price or quantity that is not a number is passed on as given."""
    unit = ((product.get("price") or {}).get("unitPrice") or {}).get("amount")
    if unit is None:
        subtotals = [
            b.get("subtotal") for b in (item.get("proceeds") or {}).get("breakdowns") or () if b.get("type") == "ITEM"
        ]
        return sum((_amount(s) for s in subtotals), Decimal(0))
    price, quantity = _number(unit), _number(item.get("quantityOrdered", 0))
    if price is None or quantity is None:
        return str(unit)
    return price * quantity


def items_v0(order: dict[str, Any], restricted: bool) -> Any:
    items = order.get("orderItems")
    if not isinstance(items, list):
        return items  # served as it came: the client has to cope with it, as with any hostile order
    currency = _currency(order)
    result: list[Any] = []
    for item in items:
        if not isinstance(item, dict):
            result.append(item)
            continue
        product = item.get("product") or {}
        amounts = item_amounts(item)
        gift = ((item.get("fulfillment") or {}).get("packing") or {}).get("giftOption")
        promotions = [
            p["promotionId"] for p in (item.get("promotion") or {}).get("breakdowns") or () if p.get("promotionId")
        ]
        row: dict[str, Any] = {
            "ASIN": product.get("asin", ""),
            "SellerSKU": product.get("sellerSku"),
            "OrderItemId": item.get("orderItemId"),
            "Title": product.get("title"),
            "QuantityOrdered": item.get("quantityOrdered", 0),
            "QuantityShipped": (item.get("fulfillment") or {}).get("quantityFulfilled", 0),
            "ItemPrice": _money(_item_price(item, product), currency),
            "PromotionIds": promotions,
            "IsGift": "true" if gift else "false",
            "ConditionId": "New",
            "ConditionSubtypeId": "New",
            "IsTransparency": False,
            "SerialNumberRequired": False,
        }
        collections = (item.get("tax") or {}).get("taxCollections") or ()
        facilitator = next((c for c in collections if isinstance(c, dict)
                            and c.get("model") == "MARKETPLACE_FACILITATOR"), None)
        if facilitator is not None:  # v0's TaxCollection: the same model, in its own spelling; v0's model
            # allows one ResponsibleParty only, whichever Amazon entity v2026 names
            row["TaxCollection"] = {"Model": "MarketplaceFacilitator", "ResponsibleParty": "Amazon Services, Inc."}
        request = (item.get("cancellation") or {}).get("cancellationRequest") or {}
        if request.get("requester") == "BUYER":
            row["BuyerRequestedCancel"] = {"IsBuyerRequestedCancel": "true",
                                           "BuyerCancelReason": request.get("cancelReason", "")}
        for name in ITEM_AMOUNTS:
            if name.startswith("GiftWrap") or (name.startswith("CODFee") and not amounts[name]):
                continue  # gift wrap is restricted buyer info; COD amounts only on COD orders
            row[name] = _money(amounts[name], currency)
        wrapped = amounts["GiftWrapPrice"] or amounts["GiftWrapTax"]
        if restricted and (gift or wrapped):
            info: dict[str, Any] = {
                "GiftWrapPrice": _money(amounts["GiftWrapPrice"], currency),
                "GiftWrapTax": _money(amounts["GiftWrapTax"], currency),
            }
            if gift:
                info["GiftMessageText"] = gift.get("giftMessage", "")
                info["GiftWrapLevel"] = gift.get("giftWrapLevel", "")
            row["BuyerInfo"] = info
        result.append({k: v for k, v in row.items() if v is not None})
    return result
