"""The Amazon order as the rest of the product sees it, whichever API version produced it.

Conventions shared by the mappers (``v2026.py``, ``v0.py``) and every consumer:

- Money is ``Decimal`` in the order's currency; an amount Amazon did not report is ``0``.
- ``unit_price`` is the gross price of one unit (VAT included, as Amazon EU shows it).
- ``item_tax``, ``shipping_price``, ``shipping_tax``, ``gift_wrap_price`` and ``gift_wrap_tax``
  are totals for the whole line (all units), as in Orders API v0.
- ``shipping_discount`` and ``promotion_discount`` are positive amounts to subtract.
- Datetimes are timezone-aware (UTC as Amazon sends them).

``to_json()`` gives a JSON-serialisable dict (the form stored in the site inbox);
``AmazonOrder.from_json()`` rebuilds an equal order from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from amazon_passweb.orders.status import AmazonStatus

ZERO = Decimal("0")


class FulfillmentChannel(StrEnum):
    MFN = "MFN"  # merchant fulfilled: the seller ships, buyer data is available
    AFN = "AFN"  # fulfilled by Amazon (FBA): no buyer email, partial address


class ShippingLevel(StrEnum):
    """Shipping speed normalised to what the gestionale distinguishes."""

    STANDARD = "STANDARD"
    EXPEDITED = "EXPEDITED"

    @classmethod
    def from_amazon(cls, raw: str | None) -> ShippingLevel:
        """Map Amazon's service level (v2026 ``fulfillmentServiceLevel`` or v0 category)."""
        text = (raw or "").strip().upper().replace(" ", "_")
        fast = {"EXPEDITED", "NEXT_DAY", "NEXTDAY", "SECOND_DAY", "SECONDDAY", "SAME_DAY", "SAMEDAY",
                "PRIORITY", "SCHEDULED"}
        return cls.EXPEDITED if text in fast else cls.STANDARD


@dataclass(frozen=True, slots=True)
class Buyer:
    name: str | None = None
    email: str | None = None
    company: str | None = None
    vat_number: str | None = None
    fiscal_code: str | None = None


@dataclass(frozen=True, slots=True)
class Address:
    name: str | None = None
    lines: tuple[str, ...] = ()
    city: str | None = None
    postal_code: str | None = None
    state_or_region: str | None = None  # Italian province sigla, e.g. "MI"
    country_code: str | None = None
    phone: str | None = None
    company: str | None = None


@dataclass(frozen=True, slots=True)
class OrderItem:
    order_item_id: str
    seller_sku: str | None
    asin: str
    title: str | None
    quantity: int
    unit_price: Decimal = ZERO
    item_tax: Decimal = ZERO
    shipping_price: Decimal = ZERO
    shipping_tax: Decimal = ZERO
    shipping_discount: Decimal = ZERO
    promotion_discount: Decimal = ZERO
    gift_wrap_price: Decimal = ZERO
    gift_wrap_tax: Decimal = ZERO
    promotion_ids: tuple[str, ...] = ()
    # Amazon withholds and remits this item's tax itself (v2026 tax.taxCollections[].model
    # MARKETPLACE_FACILITATOR, v0 TaxCollection.Model MarketplaceFacilitator)
    marketplace_facilitator: bool = False

    @property
    def line_total(self) -> Decimal:
        """Gross amount the buyer pays for this line."""
        return (
            self.unit_price * self.quantity
            + self.shipping_price
            + self.gift_wrap_price
            - self.shipping_discount
            - self.promotion_discount
        )


_MONEY_FIELDS = (
    "unit_price", "item_tax", "shipping_price", "shipping_tax", "shipping_discount",
    "promotion_discount", "gift_wrap_price", "gift_wrap_tax",
)


@dataclass(frozen=True, slots=True)
class AmazonOrder:
    amazon_order_id: str
    marketplace_id: str
    purchase_date: datetime
    last_update_date: datetime
    status: AmazonStatus
    fulfillment_channel: FulfillmentChannel
    shipping_level: ShippingLevel
    shipping_service_level_raw: str | None  # Amazon's level in v2026 spelling, e.g. "NEXT_DAY"
    is_business: bool
    is_prime: bool
    currency: str
    order_total: Decimal
    buyer: Buyer = field(default_factory=Buyer)
    delivery_address: Address | None = None
    items: tuple[OrderItem, ...] = ()
    # The buyer asked to cancel (v2026 item ``cancellation.cancellationRequest`` by BUYER, v0 item
    # ``BuyerRequestedCancel``): the seller decides; Amazon's reason, when it gave one.
    buyer_cancel_requested: bool = False
    buyer_cancel_reason: str | None = None

    def __post_init__(self) -> None:
        for moment in (self.purchase_date, self.last_update_date):
            if moment.tzinfo is None:
                raise ValueError(f"order {self.amazon_order_id}: datetimes must be timezone-aware")

    @property
    def is_afn(self) -> bool:
        return self.fulfillment_channel is FulfillmentChannel.AFN

    def to_json(self) -> dict[str, Any]:
        address = self.delivery_address
        return {
            "amazon_order_id": self.amazon_order_id,
            "marketplace_id": self.marketplace_id,
            "purchase_date": self.purchase_date.isoformat(),
            "last_update_date": self.last_update_date.isoformat(),
            "status": self.status.value,
            "fulfillment_channel": self.fulfillment_channel.value,
            "shipping_level": self.shipping_level.value,
            "shipping_service_level_raw": self.shipping_service_level_raw,
            "is_business": self.is_business,
            "is_prime": self.is_prime,
            "currency": self.currency,
            "order_total": str(self.order_total),
            "buyer": {
                "name": self.buyer.name,
                "email": self.buyer.email,
                "company": self.buyer.company,
                "vat_number": self.buyer.vat_number,
                "fiscal_code": self.buyer.fiscal_code,
            },
            "delivery_address": None if address is None else {
                "name": address.name,
                "lines": list(address.lines),
                "city": address.city,
                "postal_code": address.postal_code,
                "state_or_region": address.state_or_region,
                "country_code": address.country_code,
                "phone": address.phone,
                "company": address.company,
            },
            "items": [
                {
                    "order_item_id": item.order_item_id,
                    "seller_sku": item.seller_sku,
                    "asin": item.asin,
                    "title": item.title,
                    "quantity": item.quantity,
                    **{name: str(getattr(item, name)) for name in _MONEY_FIELDS},
                    "promotion_ids": list(item.promotion_ids),
                    "marketplace_facilitator": item.marketplace_facilitator,
                }
                for item in self.items
            ],
            "buyer_cancel_requested": self.buyer_cancel_requested,
            "buyer_cancel_reason": self.buyer_cancel_reason,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AmazonOrder:
        address = data.get("delivery_address")
        return cls(
            amazon_order_id=data["amazon_order_id"],
            marketplace_id=data["marketplace_id"],
            purchase_date=datetime.fromisoformat(data["purchase_date"]),
            last_update_date=datetime.fromisoformat(data["last_update_date"]),
            status=AmazonStatus(data["status"]),
            fulfillment_channel=FulfillmentChannel(data["fulfillment_channel"]),
            shipping_level=ShippingLevel(data["shipping_level"]),
            shipping_service_level_raw=data.get("shipping_service_level_raw"),
            is_business=bool(data["is_business"]),
            is_prime=bool(data["is_prime"]),
            currency=data["currency"],
            order_total=Decimal(data["order_total"]),
            buyer=Buyer(**(data.get("buyer") or {})),
            delivery_address=None if address is None else Address(
                **{**address, "lines": tuple(address.get("lines") or ())}
            ),
            items=tuple(
                OrderItem(
                    order_item_id=item["order_item_id"],
                    seller_sku=item.get("seller_sku"),
                    asin=item["asin"],
                    title=item.get("title"),
                    quantity=int(item["quantity"]),
                    promotion_ids=tuple(item.get("promotion_ids") or ()),
                    marketplace_facilitator=bool(item.get("marketplace_facilitator")),
                    **{name: Decimal(item.get(name) or "0") for name in _MONEY_FIELDS},
                )
                for item in data.get("items") or ()
            ),
            buyer_cancel_requested=bool(data.get("buyer_cancel_requested")),  # absent in older inbox entries
            buyer_cancel_reason=data.get("buyer_cancel_reason"),
        )
