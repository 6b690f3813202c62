"""An Amazon order → the rows of its site order (domain.md §5).

- one article row per Amazon item: SellerSKU → article through the site's SKU
  mapping (the account's own first, then the one for every account); a SKU that
  is itself an article code maps to that article; an unknown SKU is a per-order
  error, or the account's ``unknown_sku_article`` placeholder when configured;
- shipping as a *spesa* row on the account's standard or express article (a
  per-SKU shipping article wins), valued at what Amazon charged; shipping
  discounts, gift wrap and promotions as *spesa* rows of their own, discounts
  negative; one row per VAT rate, since an accessory charge follows the VAT of
  the goods it goes with;
- the two note rows (Amazon order date and id; Amazon status at import): the site
  order owns them and the gestionale document carries them as stored;
- the VAT of each row (domain.md §8, ``orders.vat``): in Italy the article's own rate, as always;
  delivered to another country, the rate Amazon applied (its TAX breakdown) with the code configured
  for that country and rate, or the reverse-charge or marketplace-facilitator exemption. The
  accessory rows (shipping, gift wrap, discounts) follow the goods they go with;
- the rows add up to Amazon's order total to the cent, or the order is refused (a zero total with
  non-zero rows too: it is never replaced by the rows' sum);
- an amount, quantity or unit price of 10^14 or more is refused: the site's columns hold less.

Prices are gross (VAT included), as Amazon EU gives them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal

from amazon_passweb.amazon.models import AmazonOrder, OrderItem, ShippingLevel
from amazon_passweb.config import AccountConfig
from amazon_passweb.importer.article_lookup import ArticleLookup
from amazon_passweb.notify.messages import Kind, OperatorMessage, message
from amazon_passweb.notify.present import format_money
from amazon_passweb.orders.document import shipping_article, spesa_charges, standard_notes
from amazon_passweb.orders.money import cents, vat_rate_from_tax
from amazon_passweb.orders.status import RowKind
from amazon_passweb.orders.vat import VatRegime, VatRuleError, destination_vat, regime
from amazon_passweb.site.articles import ArticleRepository
from amazon_passweb.site.records import OrderRowData
from amazon_passweb.site.types import AMOUNT_LIMIT


class OrderBuildError(ValueError):
    """The order cannot become a site order as it is: ``message`` tells the operator why and what to do,
    in Italian; the exception's text is its English technical detail, for the log."""

    def __init__(self, kind: Kind, detail: str, **values: object) -> None:
        super().__init__(detail)
        self.message: OperatorMessage = message(kind, detail=detail, **values)


@dataclass(frozen=True)
class _ItemArticle:
    item: OrderItem
    code: str
    description: str
    vat_rate: str
    vat_code: str | None  # None: the Italian code of vat_rate
    shipping_article: str | None  # the SKU's own spesa article for standard shipping
    shipping_article_express: str | None


@dataclass(frozen=True)
class BuiltOrder:
    rows: tuple[OrderRowData, ...]
    total_gross: Decimal


def build_rows(order: AmazonOrder, account: AccountConfig, articles: ArticleRepository | ArticleLookup
               ) -> BuiltOrder:
    if not order.items:
        raise OrderBuildError(Kind.NO_ITEMS, f"order {order.amazon_order_id} has no items")
    resolved = [_resolve_item(order, item, account, articles) for item in order.items]
    resolved = _with_vat_abroad(order, account, resolved)
    # kind, article, description, quantity, unit price, (VAT rate, VAT code), Amazon's orderItemId
    rows: list[tuple[RowKind, str | None, str, Decimal, Decimal, tuple[str, str | None], str | None]] = []

    for line in resolved:
        title = line.item.title or line.description
        rows.append((RowKind.ARTICLE, line.code, title, Decimal(line.item.quantity), line.item.unit_price,
                     (line.vat_rate, line.vat_code), line.item.order_item_id or None))

    express = order.shipping_level is ShippingLevel.EXPEDITED
    per_sku = (line.shipping_article_express if express else line.shipping_article for line in resolved)
    shipping_code = shipping_article(express, per_sku, account.shipping_article_standard,
                                     account.shipping_article_express)
    for field, code, description, sign in spesa_charges(shipping_code, account.spesa_articles):
        for vat, amount in _by_vat_rate(resolved, field).items():
            rows.append((RowKind.SPESA, code, description, Decimal(1), sign * amount, vat, None))

    total = sum((quantity * price for _, _, _, quantity, price, _, _ in rows), Decimal(0))
    expected = order.order_total
    amounts = [expected, total] + [value for _, _, _, quantity, price, _, _ in rows
                                   for value in (quantity, price, quantity * price)]
    if any(abs(amount) >= AMOUNT_LIMIT for amount in amounts):
        largest = max(amounts, key=abs)
        raise OrderBuildError(
            Kind.AMOUNT_TOO_LARGE,
            f"order {order.amazon_order_id}: amount {largest} {order.currency} is beyond what the site stores "
            f"(below {AMOUNT_LIMIT:.0e})",
            amount=format_money(largest, order.currency),
        )
    if expected == 0 and cents(total) != 0:
        # A missing total is already the items' sum (amazon.v0/v2026): a zero one is what Amazon said.
        raise OrderBuildError(
            Kind.ZERO_AMAZON_TOTAL,
            f"order {order.amazon_order_id}: Amazon's order total is 0 but items, shipping, gift wrap and "
            f"promotions add up to {total:.2f} {order.currency}",
            total=format_money(total, order.currency), expected=format_money(expected, order.currency),
        )
    if cents(total) != cents(expected):
        raise OrderBuildError(
            Kind.TOTALS_MISMATCH,
            f"order {order.amazon_order_id}: items, shipping, gift wrap and promotions add up to "
            f"{total:.2f} {order.currency} but Amazon's order total is {expected:.2f}",
            total=format_money(total, order.currency), expected=format_money(expected, order.currency),
        )

    notes = standard_notes(order.amazon_order_id, order.purchase_date, order.status.value)
    numbered = [
        OrderRowData(kind=RowKind.NOTE, line_no=index, article_code=None, description=text,
                     quantity=Decimal(0), unit_price_gross=Decimal(0), vat_rate=None)
        for index, text in enumerate(notes, start=1)
    ]
    first = len(numbered) + 1
    for index, (kind, code, description, quantity, price, (vat_rate, vat_code), item_id) in enumerate(
            rows, start=first):
        numbered.append(OrderRowData(kind=kind, line_no=index, article_code=code, description=description,
                                     quantity=quantity, unit_price_gross=price, vat_rate=vat_rate,
                                     order_item_id=item_id, vat_code=vat_code))
    return BuiltOrder(rows=tuple(numbered), total_gross=expected)


def _resolve_item(
    order: AmazonOrder, item: OrderItem, account: AccountConfig, articles: ArticleRepository | ArticleLookup
) -> _ItemArticle:
    if item.quantity <= 0:
        raise OrderBuildError(
            Kind.BAD_QUANTITY,
            f"order {order.amazon_order_id}: item {item.seller_sku or item.asin} has quantity {item.quantity}",
            sku=item.seller_sku or item.asin, quantity=item.quantity,
        )
    if item.unit_price < 0:
        raise OrderBuildError(
            Kind.NEGATIVE_PRICE,
            f"order {order.amazon_order_id}: item {item.seller_sku or item.asin} has a negative price "
            f"({item.unit_price}); discounts come as promotions, never as negative prices",
            sku=item.seller_sku or item.asin, price=format_money(item.unit_price, order.currency),
        )
    mapping = articles.resolve_sku(account.id, item.seller_sku) if item.seller_sku else None
    code = mapping.article_code if mapping else item.seller_sku
    article = articles.get(code) if code else None
    if article is None and account.unknown_sku_article:
        article = articles.get(account.unknown_sku_article)
    if article is None:
        raise OrderBuildError(
            Kind.UNKNOWN_SKU,
            f"order {order.amazon_order_id}: SKU {item.seller_sku!r} (ASIN {item.asin}) is not mapped to an "
            "article of the gestionale and the account has no unknown_sku_article",
            sku=item.seller_sku, asin=item.asin,
        )
    vat_rate = article.vat_rate or _vat_rate_from_amazon(item)
    if vat_rate is None:
        raise OrderBuildError(
            Kind.MISSING_VAT,
            f"order {order.amazon_order_id}: article {article.code} has no VAT rate and Amazon's item tax "
            "does not give one",
            article=article.code,
        )
    return _ItemArticle(
        item=item,
        code=article.code,
        description=article.description,
        vat_rate=vat_rate,
        vat_code=None,
        shipping_article=mapping.shipping_article_code if mapping else None,
        shipping_article_express=mapping.shipping_article_express_code if mapping else None,
    )


def _vat_rate_from_amazon(item: OrderItem) -> str | None:
    return vat_rate_from_tax(item.unit_price * item.quantity, item.item_tax)


def _with_vat_abroad(order: AmazonOrder, account: AccountConfig, resolved: list[_ItemArticle]
                     ) -> list[_ItemArticle]:
    """The lines with the VAT of goods that leave Italy (orders.vat); unchanged in Italy."""
    destination = order.delivery_address.country_code if order.delivery_address else None
    vat = account.vat
    tax_charged = sum((line.item.item_tax + line.item.shipping_tax + line.item.gift_wrap_tax for line in resolved),
                      Decimal(0))
    facilitated = any(line.item.marketplace_facilitator for line in resolved)
    found = regime(destination, order.buyer.vat_number, tax_charged, facilitated)
    if found is VatRegime.DOMESTIC:
        return resolved
    if found is not VatRegime.DESTINATION:
        code = vat.reverse_charge if found is VatRegime.REVERSE_CHARGE else vat.marketplace_facilitator
        return [replace(line, vat_rate="0", vat_code=code) for line in resolved]
    lines = []
    for line in resolved:
        gross = line.item.unit_price * line.item.quantity
        if gross == 0:  # nothing to tax: the article's own rate, as in Italy
            lines.append(line)
            continue
        try:
            row_vat = destination_vat(destination or "", gross, line.item.item_tax, line.item.quantity, vat.codes)
        except VatRuleError as error:
            item = line.item.seller_sku or line.item.asin
            raise OrderBuildError(
                Kind.VAT_NOT_CONFIGURED, f"order {order.amazon_order_id}: item {item}: {error}",
                reason=str(error), country=error.country, rate=f"{error.rate} %" if error.rate else "-",
            ) from None
        lines.append(line if row_vat is None else replace(line, vat_rate=row_vat.rate, vat_code=row_vat.code))
    return lines


def _by_vat_rate(resolved: list[_ItemArticle], field: str) -> dict[tuple[str, str | None], Decimal]:
    amounts: dict[tuple[str, str | None], Decimal] = defaultdict(Decimal)
    for line in resolved:
        amount = getattr(line.item, field)
        if amount:
            amounts[(line.vat_rate, line.vat_code)] += amount
    return {rate: amount for rate, amount in amounts.items() if amount}

