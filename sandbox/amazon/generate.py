"""Realistic Italian and EU orders in the exact shape of Orders API v2026-01-01 ``Order``.

Deterministic for a given seed. Covers: accented names, Italian addresses with CAP and
province, several items, shipping and free-shipping promotions, percentage promotions,
gift wrap, business orders (VAT number, fiscal code, the shared IBA no-reply email),
AFN orders without buyer data, every fulfillment status, repeated buyers and orders
without an email. Prices are gross (VAT included); proceeds ``TAX`` is the VAT they contain.

Other stand-ins and tests import ``CATALOGUE`` (sku, description, VAT rate) and
``generate_orders``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")

CATALOGUE: list[tuple[str, str, str]] = [
    ("ART001", "Tazza in ceramica decorata a mano", "22"),
    ("ART002", "Set 6 bicchieri in vetro soffiato", "22"),
    ("ART003", "Caffettiera moka 3 tazze", "22"),
    ("ART004", "Tagliere in legno d'ulivo", "22"),
    ("ART005", "Tovaglia in lino 150x250", "22"),
    ("ART006", "Cuscino arredo velluto", "22"),
    ("ART007", "Lampada da tavolo ottone", "22"),
    ("ART008", "Portafoglio in pelle conciata", "22"),
    ("ART009", "Borsa shopper in tela", "22"),
    ("ART010", "Sciarpa in cashmere", "22"),
    ("ART011", "Candela profumata fico e cedro", "22"),
    ("ART012", "Diffusore per ambienti 250 ml", "22"),
    ("ART013", "Agenda 2027 copertina rigida", "22"),
    ("ART014", "Penna stilografica", "22"),
    ("ART015", "Zaino impermeabile 20 L", "22"),
    ("ART016", "Ombrello pieghevole antivento", "22"),
    ("ART017", "Cover smartphone in sughero", "22"),
    ("ART018", "Cavo USB-C intrecciato 2 m", "22"),
    ("ART019", "Caricatore da parete 30 W", "22"),
    ("ART020", "Puzzle 1000 pezzi Venezia", "22"),
    ("ART021", "Gioco da tavolo Scopa d'oro", "22"),
    ("ART022", "Saponetta all'olio d'oliva", "22"),
    ("ART023", "Crema mani alla calendula", "22"),
    ("ART024", "Vaso in terracotta smaltata", "22"),
    ("ART025", "Spremiagrumi in acciaio", "22"),
    ("ART026", "Olio extravergine d'oliva 1 L", "4"),
    ("ART027", "Pasta di Gragnano IGP 500 g", "4"),
    ("ART028", "Passata di pomodoro 700 g", "4"),
    ("ART029", "Farina tipo 00 1 kg", "4"),
    ("ART030", "Libro: ricette della nonna", "4"),
    ("ART031", "Libro: guida ai borghi d'Italia", "4"),
    ("ART032", "Quotidiano abbonamento 1 mese", "4"),
    ("ART033", "Caffè in grani 1 kg", "10"),
    ("ART034", "Miele millefiori 500 g", "10"),
    ("ART035", "Biscotti cantucci 250 g", "10"),
    ("ART036", "Aceto balsamico di Modena IGP", "10"),
    ("ART037", "Cioccolato fondente 70% 100 g", "10"),
    ("ART038", "Tè verde in foglie 100 g", "10"),
    ("ART039", "Panettone artigianale 1 kg", "10"),
    ("ART040", "Tisana camomilla e melissa", "10"),
]

_PRICE_STEPS = [
    "4.90",
    "7.50",
    "9.99",
    "12.90",
    "14.99",
    "19.90",
    "24.50",
    "29.99",
    "34.90",
    "49.00",
    "59.90",
]
PRICES: dict[str, Decimal] = {
    sku: Decimal(_PRICE_STEPS[index * 7 % len(_PRICE_STEPS)]) for index, (sku, _, _) in enumerate(CATALOGUE)
}
ASINS: dict[str, str] = {
    sku: f"B0{index + 1:02d}ITA{index * 37 % 1000:03d}" for index, (sku, _, _) in enumerate(CATALOGUE)
}

MARKETPLACES = {
    "IT": ("APJ6JRA9NG5V4", "Amazon.it", "EUR"),
    "DE": ("A1PA6795UKMFR9", "Amazon.de", "EUR"),
    "FR": ("A13V1IB3VIYZZH", "Amazon.fr", "EUR"),
    "ES": ("A1RKKUPIHCS9HS", "Amazon.es", "EUR"),
}
MARKETPLACE_IDS = [marketplace_id for marketplace_id, _, _ in MARKETPLACES.values()]
SHARED_BUSINESS_EMAIL = "no-reply-amazon-iba-buyer@amazon.it"

FIRST_NAMES = [
    "Giuseppe",
    "Maria",
    "Niccolò",
    "Nicolò",
    "Federica",
    "Mattia",
    "Ilaria",
    "Gianluca",
    "Noemi",
    "Lucrezia",
    "Andrea",
    "Chiara",
    "Raffaele",
    "Zoè",
    "Annalisa",
    "Salvatore",
    "Giorgia",
    "Fabrizio",
    "Beatrice",
    "Tommaso",
    "Elena",
    "Lorenzo",
    "Martina",
    "Pierluigi",
]
LAST_NAMES = [
    "Rossi",
    "Bianchi",
    "De Luca",
    "D'Angelo",
    "Russo",
    "Esposito",
    "Colombo",
    "Cantù",
    "Mulè",
    "Ricci",
    "Marino",
    "Greco",
    "Lo Presti",
    "Dell'Orto",
    "Santoro",
    "Fontana",
    "Caruso",
    "Sanfilippo",
    "Pellegrini",
    "Di Stefano",
    "Zappalà",
    "Barbieri",
    "Galli",
    "Conte",
]
# (city, CAP, province sigla)
ITALIAN_PLACES = [
    ("Milano", "20121", "MI"),
    ("Roma", "00184", "RM"),
    ("Napoli", "80133", "NA"),
    ("Torino", "10121", "TO"),
    ("Palermo", "90133", "PA"),
    ("Genova", "16121", "GE"),
    ("Bologna", "40121", "BO"),
    ("Firenze", "50122", "FI"),
    ("Bari", "70121", "BA"),
    ("Catania", "95121", "CT"),
    ("Venezia", "30121", "VE"),
    ("Verona", "37121", "VR"),
    ("Padova", "35121", "PD"),
    ("Forlì", "47121", "FC"),
    ("Cantù", "22063", "CO"),
    ("Sant'Agata de' Goti", "82019", "BN"),
    ("Aosta", "11100", "AO"),
    ("Bolzano", "39100", "BZ"),
    ("Lecce", "73100", "LE"),
    ("Cagliari", "09124", "CA"),
    ("Perugia", "06121", "PG"),
    ("Reggio Calabria", "89125", "RC"),
    ("Città di Castello", "06012", "PG"),
    ("Cefalù", "90015", "PA"),
]
STREETS = [
    "Via Roma",
    "Corso Vittorio Emanuele II",
    "Piazza Garibaldi",
    "Viale dei Mille",
    "Via Sant'Antonio",
    "Via Niccolò Tommaseo",
    "Largo Augusto",
    "Via XX Settembre",
    "Via Cavour",
    "Vicolo dell'Università",
]
EU_PEOPLE = {
    "DE": [
        ("Jürgen Müller", "Königstraße 12", "Stuttgart", "70173", "Baden-Württemberg"),
        ("Sören Weiß", "Straße des 17. Juni 5", "Berlin", "10623", "Berlin"),
    ],
    "FR": [
        ("François Lefèvre", "12 rue de la Paix", "Paris", "75002", "Île-de-France"),
        ("Hélène Béranger", "3 place Bellecour", "Lyon", "69002", "Auvergne-Rhône-Alpes"),
    ],
    "ES": [
        ("José Martínez Núñez", "Calle de Alcalá 45", "Madrid", "28014", "Madrid"),
        ("Begoña Ibáñez", "Passeig de Gràcia 21", "Barcelona", "08007", "Cataluña"),
    ],
}
COMPANY_SUFFIXES = ["S.r.l.", "S.p.A.", "S.n.c.", "S.a.s."]
COMPANY_NAMES = [
    "Ferramenta Cantù",
    "Studio Associato Mulè",
    "Trattoria Da Niccolò",
    "Ottica Zappalà",
    "Idraulica D'Angelo",
    "Caffè Dell'Orto",
    "Tipografia Santoro",
]

STATUS_WEIGHTS = [
    ("UNSHIPPED", 30),
    ("SHIPPED", 35),
    ("PARTIALLY_SHIPPED", 5),
    ("PENDING", 10),
    ("PENDING_AVAILABILITY", 3),
    ("CANCELLED", 12),
    ("UNFULFILLABLE", 5),
]
SERVICE_LEVELS = [
    ("STANDARD", 70),
    ("EXPEDITED", 12),
    ("NEXT_DAY", 8),
    ("SECOND_DAY", 5),
    ("FREE_ECONOMY", 5),
]
DEFAULT_START = datetime(2026, 10, 1, tzinfo=UTC)
DEFAULT_END = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass(frozen=True)
class _Person:
    name: str
    email: str | None
    street: str
    line2: str | None
    city: str
    postal_code: str
    province: str
    country: str
    phone: str | None
    company: str | None = None
    vat_number: str | None = None
    fiscal_code: str | None = None


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount.quantize(CENT)), "currencyCode": currency}


def vat_included(gross: Decimal, rate: str) -> Decimal:
    """The VAT contained in a gross amount at ``rate`` percent."""
    rate_d = Decimal(rate)
    return (gross * rate_d / (100 + rate_d)).quantize(CENT, rounding=ROUND_HALF_UP)


def _weighted(rng: random.Random, table: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _fiscal_code(rng: random.Random, name: str) -> str:
    letters = "".join(c for c in name.upper() if "A" <= c <= "Z")
    head = (letters + "XXXXXX")[:6]
    return (
        f"{head}{rng.randint(40, 99)}{rng.choice('ABCDEHLMPRST')}{rng.randint(10, 70)}"
        f"{rng.choice('FGHL')}{rng.randint(100, 999)}{rng.choice('ABCDEFGHIJ')}"
    )


def _italian_person(rng: random.Random, business: bool) -> _Person:
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    city, cap, province = rng.choice(ITALIAN_PLACES)
    company = vat = fiscal = None
    if business:
        company = f"{rng.choice(COMPANY_NAMES)} {rng.choice(COMPANY_SUFFIXES)}"
        vat_digits = f"{rng.randint(0, 10**11 - 1):011d}"
        vat = f"IT{vat_digits}"
        fiscal = vat_digits if rng.random() < 0.6 else _fiscal_code(rng, name)
    roll = rng.random()
    if business and roll < 0.5:
        email = SHARED_BUSINESS_EMAIL
    elif roll < 0.9:
        email = f"{rng.getrandbits(48):012x}@marketplace.amazon.it"
    else:
        email = None  # some MFN orders come without any buyer email
    return _Person(
        name=name,
        email=email,
        street=f"{rng.choice(STREETS)}, {rng.randint(1, 180)}",
        line2=rng.choice(
            [None, None, f"Scala {rng.choice('ABCD')}, interno {rng.randint(1, 30)}", "c/o ufficio"]
        ),
        city=city,
        postal_code=cap,
        province=province,
        country="IT",
        phone=rng.choice(
            [None, f"+39 3{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"]
        ),
        company=company,
        vat_number=vat,
        fiscal_code=fiscal,
    )


def _eu_person(rng: random.Random, country: str) -> _Person:
    name, street, city, postal, region = rng.choice(EU_PEOPLE[country])
    return _Person(
        name,
        f"{rng.getrandbits(48):012x}@marketplace.amazon.{country.lower()}",
        street,
        None,
        city,
        postal,
        region,
        country,
        None,
    )


def _order_id(rng: random.Random, used: set[str]) -> str:
    while True:
        order_id = f"40{rng.randint(2, 8)}-{rng.randint(0, 9999999):07d}-{rng.randint(0, 9999999):07d}"
        if order_id not in used:
            used.add(order_id)
            return order_id


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _item(
    rng: random.Random,
    order_id: str,
    index: int,
    currency: str,
    status: str,
    shipping: Decimal,
    shipping_discount: Decimal,
    promo_rate: Decimal | None,
) -> dict[str, Any]:
    sku, title, rate = rng.choice(CATALOGUE)
    quantity = rng.choice([1, 1, 1, 2, 2, 3])
    unit = PRICES[sku]
    gross = unit * quantity
    promotion = (gross * promo_rate).quantize(CENT) if promo_rate else Decimal(0)
    gift_wrap = Decimal("3.50") if rng.random() < 0.04 else Decimal(0)
    breakdowns: list[dict[str, Any]] = [{"type": "ITEM", "subtotal": _money(gross, currency)}]
    tax_details = [{"subtype": "ITEM", "value": _money(vat_included(gross, rate), currency)}]
    if shipping:
        breakdowns.append({"type": "SHIPPING", "subtotal": _money(shipping, currency)})
        tax_details.append({"subtype": "SHIPPING", "value": _money(vat_included(shipping, "22"), currency)})
    if gift_wrap:
        breakdowns.append({"type": "GIFT_WRAP", "subtotal": _money(gift_wrap, currency)})
        tax_details.append({"subtype": "GIFT_WRAP", "value": _money(vat_included(gift_wrap, "22"), currency)})
    discount_details = []
    if promotion:
        discount_details.append({"subtype": "ITEM", "value": _money(-promotion, currency)})
    if shipping_discount:
        discount_details.append({"subtype": "SHIPPING", "value": _money(-shipping_discount, currency)})
    if discount_details:
        breakdowns.append(
            {
                "type": "DISCOUNT",
                "subtotal": _money(-(promotion + shipping_discount), currency),
                "detailedBreakdowns": discount_details,
            }
        )
    breakdowns.append(
        {
            "type": "TAX",
            "subtotal": _money(
                sum((Decimal(d["value"]["amount"]) for d in tax_details), Decimal(0)), currency
            ),
            "detailedBreakdowns": tax_details,
        }
    )
    total = gross + shipping + gift_wrap - promotion - shipping_discount
    shipped = {"SHIPPED": quantity, "PARTIALLY_SHIPPED": quantity // 2}.get(status, 0)
    promotion_ids = []
    if promotion:
        promotion_ids.append(f"PROMO-{int(promo_rate * 100)}-AUTUNNO")
    if shipping_discount:
        promotion_ids.append("SPEDIZIONE-GRATUITA-IT")
    item: dict[str, Any] = {
        "orderItemId": f"{order_id.replace('-', '')[:12]}{index:02d}",
        "quantityOrdered": quantity,
        "product": {
            "asin": ASINS[sku],
            "title": title,
            "sellerSku": sku,
            "condition": {"conditionType": "NEW", "conditionSubtype": "NEW", "conditionNote": ""},
            "price": {"unitPrice": _money(unit, currency)},
        },
        "proceeds": {"proceedsTotal": _money(total, currency), "breakdowns": breakdowns},
        "fulfillment": {"quantityFulfilled": shipped, "quantityUnfulfilled": quantity - shipped},
    }
    if promotion_ids:
        item["promotion"] = {"breakdowns": [{"promotionId": p} for p in promotion_ids]}
    if gift_wrap:
        item["fulfillment"]["packing"] = {
            "giftOption": {"giftMessage": "Tanti auguri!", "giftWrapLevel": "STANDARD"}
        }
    return item


def _address(person: _Person, afn: bool) -> dict[str, Any]:
    if afn:  # Amazon shares only the destination area of FBA orders
        return {
            "city": person.city,
            "stateOrRegion": person.province,
            "postalCode": person.postal_code,
            "countryCode": person.country,
        }
    address = {
        "name": person.name,
        "addressLine1": person.street,
        "city": person.city,
        "stateOrRegion": person.province,
        "postalCode": person.postal_code,
        "countryCode": person.country,
        "addressType": "COMMERCIAL" if person.company else "RESIDENTIAL",
    }
    if person.line2:
        address["addressLine2"] = person.line2
    if person.phone:
        address["phone"] = person.phone
    if person.company:
        address["companyName"] = person.company
    return address


def generate_orders(
    count: int, seed: int = 0, *, start: datetime = DEFAULT_START, end: datetime = DEFAULT_END
) -> list[dict[str, Any]]:
    """``count`` orders created in [start, end), sorted by ``lastUpdatedTime``; same seed, same orders."""
    rng = random.Random(seed)
    used_ids: set[str] = set()
    buyers: list[_Person] = []
    span = (end - start).total_seconds()
    orders = []
    for number in range(count):
        country = "IT" if rng.random() < 0.85 else rng.choice(["DE", "FR", "ES"])
        marketplace_id, marketplace_name, currency = MARKETPLACES[country]
        afn = rng.random() < 0.2
        business = country == "IT" and not afn and rng.random() < 0.18
        # Every status at least once, then weighted; repeated buyers come back about a third of the time.
        status = STATUS_WEIGHTS[number][0] if number < len(STATUS_WEIGHTS) else _weighted(rng, STATUS_WEIGHTS)
        if status == "UNFULFILLABLE":
            afn = True
            business = False
        same = [b for b in buyers if (b.company is not None) == business and b.country == country]
        if same and rng.random() < 0.33:
            person = rng.choice(same)
        else:
            person = _italian_person(rng, business) if country == "IT" else _eu_person(rng, country)
            buyers.append(person)
        created = start + timedelta(seconds=rng.uniform(0, span * 0.98))
        updated = min(created + timedelta(minutes=rng.uniform(1, 60 * 72)), end - timedelta(seconds=1))
        level = _weighted(rng, SERVICE_LEVELS) if not afn else rng.choice(["STANDARD", "EXPEDITED"])
        order_id = _order_id(rng, used_ids)

        shipping = Decimal(0)
        if not afn:
            shipping = (
                Decimal("9.90") if level in ("EXPEDITED", "NEXT_DAY", "SECOND_DAY") else Decimal("4.90")
            )
        free_shipping = shipping and rng.random() < 0.25
        promo_rate = rng.choice([None, None, None, None, Decimal("0.10"), Decimal("0.15")])
        item_count = rng.choice([1, 1, 1, 2, 2, 3, 4])
        items = [
            _item(
                rng,
                order_id,
                index,
                currency,
                status,
                shipping if index == 0 else Decimal(0),
                shipping if (index == 0 and free_shipping) else Decimal(0),
                promo_rate,
            )
            for index in range(item_count)
        ]
        grand_total = sum((Decimal(i["proceeds"]["proceedsTotal"]["amount"]) for i in items), Decimal(0))
        programs = []
        if afn or rng.random() < 0.3:
            programs.append("PRIME")
        if business:
            programs.append("AMAZON_BUSINESS")
        order: dict[str, Any] = {
            "orderId": order_id,
            "createdTime": _iso(created),
            "lastUpdatedTime": _iso(updated),
            "programs": programs,
            "salesChannel": {
                "channelName": "AMAZON",
                "marketplaceId": marketplace_id,
                "marketplaceName": marketplace_name,
            },
            "proceeds": {"grandTotal": _money(grand_total, currency), "breakdowns": _order_breakdowns(items)},
            "fulfillment": {
                "fulfillmentStatus": status,
                "fulfilledBy": "AMAZON" if afn else "MERCHANT",
                "fulfillmentServiceLevel": level,
                "shipByWindow": {
                    "earliestDateTime": _iso(created + timedelta(hours=2)),
                    "latestDateTime": _iso(created + timedelta(days=2)),
                },
            },
            "orderItems": items,
        }
        if not afn:
            buyer: dict[str, Any] = {"buyerName": person.name}
            if person.email:
                buyer["buyerEmail"] = person.email
            if person.company:
                buyer["buyerCompanyName"] = person.company
            order["buyer"] = buyer
        # Amazon shows the address only once the order can ship, and while it does.
        if status in ("UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED"):
            order["recipient"] = {"deliveryAddress": _address(person, afn)}
        if person.vat_number and not afn:
            order["tax"] = {
                "taxRegistrations": [
                    {
                        "entityType": "BUYER",
                        "taxRegistrationType": "VAT",
                        "taxRegistrationNumber": person.vat_number,
                        "legalName": person.company,
                        "taxRegistrationAttributes": [{"key": "FISCAL_CODE", "value": person.fiscal_code}],
                    }
                ],
                "taxInvoicing": {"buyerInvoicePreference": "BUSINESS"},
            }
        orders.append(order)
    orders.sort(key=lambda o: (o["lastUpdatedTime"], o["orderId"]))
    return orders


def _order_breakdowns(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    totals: dict[str, Decimal] = {}
    currency = "EUR"
    for item in items:
        for breakdown in item["proceeds"]["breakdowns"]:
            currency = breakdown["subtotal"]["currencyCode"]
            totals[breakdown["type"]] = totals.get(breakdown["type"], Decimal(0)) + Decimal(
                breakdown["subtotal"]["amount"]
            )
    return [{"type": kind, "subtotal": _money(amount, currency)} for kind, amount in totals.items()]
