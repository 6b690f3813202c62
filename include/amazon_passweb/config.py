"""Typed Amazon account configuration, loaded from YAML and validated at load time.

One entry per Amazon seller account (domain.md §1). Every error names the account
and the field and says what is allowed. Credentials never live in this file: they
come from the account's Airflow connection (``amazon_sp_api__<id>`` by default).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from amazon_passweb.orders.status import AmazonStatus  # a domain type the accounts file names
from amazon_passweb.orders.vat import EU_MEMBER_STATES

ACCOUNTS_FILE_ENV = "AMAZON_ACCOUNTS_FILE"
DEFAULT_ACCOUNTS_FILE = Path(__file__).resolve().parent.parent / "config" / "accounts.example.yaml"

MARKETPLACES: dict[str, str] = {
    "APJ6JRA9NG5V4": "IT",
    "A1PA6795UKMFR9": "DE",
    "A13V1IB3VIYZZH": "FR",
    "A1RKKUPIHCS9HS": "ES",
    "A1F83G8C2ARO7P": "UK",
    "A1805IZSGTT6HS": "NL",
    "A1C3SOZRARQ6R3": "PL",
    "A2NODRKZP88ZB9": "SE",
    "AMEN7PMS3EDWL": "BE",
    "A28R8C7NBKEWEA": "IE",
}


ALLOWED_STATUSES_TEXT = ", ".join(s.value for s in AmazonStatus) + " (or their v0 names)"

SCHEDULE_PRESETS = {
    "hourly": "0 * * * *",
    "daily": "0 0 * * *",
    "weekly": "0 0 * * 1",
    "monthly": "0 0 1 * *",
}

MASTRO_RE = re.compile(r"^\d{3}$")
# Keys that would smuggle credentials into the file.
CREDENTIAL_KEYS = {
    "password", "secret", "client_secret", "lwa_client_secret", "refresh_token",
    "access_token", "token", "client_id", "lwa_client_id", "api_key", "credentials",
    "aws_secret_access_key", "aws_access_key_id",
}


def _si_no(value: Any) -> bool:
    """SI/NO as in the site's form; the usual YAML booleans are accepted too."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().upper()
        if text in {"SI", "SÌ", "YES", "TRUE", "ON", "Y", "1"}:
            return True
        if text in {"NO", "FALSE", "OFF", "N", "0"}:
            return False
    raise ValueError(f"must be SI or NO (or a YAML boolean), got {value!r}")


def validate_cron(expression: str) -> str:
    from croniter import croniter  # ships with Airflow; imported lazily to keep parsing light

    if not croniter.is_valid(expression):
        raise ValueError(
            f"{expression!r} is not a valid cron expression; use hourly, daily, weekly, "
            "monthly, none or a 5-field cron such as '*/30 * * * *'"
        )
    return expression


ARTICLE_CODE_MAX = 20  # codice_articolo of a document row (reference/mexal-webapi)
ArticleCode = Annotated[str, Field(min_length=1, max_length=ARTICLE_CODE_MAX, pattern=r"^\S(.*\S)?$")]


class SpesaArticles(BaseModel):
    """The gestionale's spesa articles for the parts of an Amazon total that are not goods, and the VAT
    exemption of the rounding row; company-wide (one gestionale), the defaults are the usual codes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shipping_discount: ArticleCode = "SCSPED"
    gift_wrap: ArticleCode = "CONFREG"
    promotion: ArticleCode = "PROMO"
    rounding: ArticleCode = "ARROTOND"
    # an exemption (outside the VAT base), so the rounding row moves the total by exactly its price
    rounding_vat_code: Annotated[str, Field(min_length=1, max_length=10, pattern=r"^\S+$")] = "E15"

    @field_validator("rounding_vat_code")
    @classmethod
    def _exemption(cls, value: str) -> str:
        if re.fullmatch(r"\d+(?:[.,]\d+)?", value):
            raise ValueError(f"{value!r} is a VAT rate: the rounding row needs a VAT exemption code, e.g. E15")
        return value

    @model_validator(mode="after")
    def _distinct(self) -> SpesaArticles:
        codes = [self.shipping_discount, self.gift_wrap, self.promotion, self.rounding]
        if len(set(codes)) < len(codes):
            raise ValueError("shipping_discount, gift_wrap, promotion and rounding must be four different articles")
        return self

    @property
    def codes(self) -> frozenset[str]:
        return frozenset((self.shipping_discount, self.gift_wrap, self.promotion, self.rounding))


class CarrierMapping(BaseModel):
    """A gestionale carrier (``cod_vettore``) as Amazon knows it: one of Amazon's carrier codes, or
    ``Other`` with the name Amazon shows the buyer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amazon_code: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")]
    amazon_name: Annotated[str, Field(min_length=1, max_length=64)] | None = None

    @model_validator(mode="after")
    def _other_is_named(self) -> CarrierMapping:
        if self.amazon_code == "Other" and not (self.amazon_name or "").strip():
            raise ValueError('amazon_code "Other" needs amazon_name, the carrier name Amazon shows the buyer')
        return self


class ShipmentSettings(BaseModel):
    """Company-wide (one gestionale): where shipments are read and how carriers are told to Amazon."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    carriers: dict[str, CarrierMapping] = {}
    sigle: Annotated[list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]], Field(min_length=1)] = ["BC", "FT"]
    reread_days: Annotated[int, Field(ge=1, le=120)] = 14
    # Days from a confirmed shipment to its assumed delivery when Amazon does not report the
    # packages DELIVERED: the order's life (and the buyer-data retention clock) ends then.
    delivery_margin_days: Annotated[int, Field(ge=0, le=30)] = 10

    def carrier(self, cod_vettore: str) -> tuple[str, str | None]:
        """Amazon's (carrierCode, carrierName) for a gestionale carrier; an unmapped one goes as
        ``Other`` named by its gestionale code (the gestionale publishes no carrier names)."""
        mapped = self.carriers.get(cod_vettore)
        if mapped is None:
            return "Other", cod_vettore
        return mapped.amazon_code, mapped.amazon_name


# ISO 3166-1 alpha-2 countries a VAT configuration may name: the EU member states (Greece as GR and
# as its VAT numbers write it, EL), and the European countries Amazon EU ships to with a VAT of their own.
VAT_COUNTRIES = EU_MEMBER_STATES | {"GB", "XI", "NO", "CH", "LI", "IS", "MC", "SM"}
ISO_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
VatCode = Annotated[str, Field(min_length=1, max_length=10, pattern=r"^\S+$")]


def _rate_text(rate: Any, country: str) -> str:
    """A configured rate as the domain spells it: "5,5", "5.50", 5.5 -> "5.5"; 19 -> "19"."""
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(str(rate).strip().rstrip("%").replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"vat.codes.{country}: rate {rate!r} is not a number") from None
    if not value.is_finite() or not 0 <= value < 100:
        raise ValueError(f"vat.codes.{country}: rate {rate!r} is not a percentage between 0 and 100")
    return format(value.normalize(), "f")


class VatSettings(BaseModel):
    """Which gestionale VAT code a row gets for the VAT Amazon charged (domain.md §8); company-wide.

    ``codes``: destination country -> rate Amazon applied (percent) -> gestionale VAT code. The WebAPI's
    row ``cod_iva`` is either the rate itself ("19") or a code of dati-generali/esenzioni-iva, which
    carries no VAT: a taxed rate's code must therefore be that same number (spelt as the gestionale
    wants it). Italy keeps today's rule (the article's own code) and needs no entry.
    ``reverse_charge``, ``marketplace_facilitator``: exemption codes of the untaxed cases;
    ``rounding``: the exemption of the rounding row (the same setting as ``spesa_articles.rounding_vat_code``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    codes: dict[str, dict[str, VatCode]] = {}
    reverse_charge: VatCode = "N41"
    marketplace_facilitator: VatCode = "N74"
    rounding: VatCode | None = None  # None: spesa_articles.rounding_vat_code (E15 by default)

    @field_validator("codes", mode="before")
    @classmethod
    def _codes(cls, value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError("vat.codes must map a country code to {rate: gestionale VAT code}")
        parsed: dict[str, dict[str, str]] = {}
        for raw_country, rates in value.items():
            country = str(raw_country).strip().upper()
            if country not in VAT_COUNTRIES:
                raise ValueError(
                    f"vat.codes: unknown country code {raw_country!r}; use ISO 3166-1 alpha-2 codes such as "
                    "DE, FR, ES (allowed: " + ", ".join(sorted(VAT_COUNTRIES)) + ")"
                )
            if country in parsed:
                raise ValueError(f"vat.codes: country {country} is given twice")
            if not isinstance(rates, dict) or not rates:
                raise ValueError(f"vat.codes.{country} must map each rate to its gestionale VAT code, "
                                 'e.g. {"19": "19", "7": "7"}')
            parsed[country] = {}
            for raw_rate, code in rates.items():
                rate = _rate_text(raw_rate, country)
                if rate in parsed[country]:
                    raise ValueError(f"vat.codes.{country}: rate {rate} is given twice")
                text = str(code).strip()
                try:
                    same = _rate_text(text, country) == rate
                except ValueError:
                    same = False
                if not same:
                    raise ValueError(
                        f"vat.codes.{country}: rate {rate} has code {code!r}: a taxed row's cod_iva is the rate "
                        f"itself ({rate!r}); a code of the VAT exemptions would carry no VAT"
                    )
                parsed[country][rate] = text
        return parsed

    @model_validator(mode="after")
    def _distinct(self) -> VatSettings:
        if self.reverse_charge == self.marketplace_facilitator:
            raise ValueError("vat.reverse_charge and vat.marketplace_facilitator must be different exemption codes")
        for name in ("reverse_charge", "marketplace_facilitator", "rounding"):
            value = getattr(self, name)
            if value is not None and re.fullmatch(r"\d+(?:[.,]\d+)?", value):
                raise ValueError(f"vat.{name}: {value!r} is a VAT rate; it needs a VAT exemption code, e.g. N41")
        return self

    def rates_of(self, country: str) -> dict[str, str] | None:
        """The configured rate -> code of a destination country; None when it has none."""
        return self.codes.get(country.upper())

    @property
    def exemptions(self) -> frozenset[str]:
        return frozenset(c for c in (self.reverse_charge, self.marketplace_facilitator, self.rounding) if c)


class NotificationSettings(BaseModel):
    """Amazon's ORDER_CHANGE notifications for one account: its own SQS queue (docs/notifications.md).

    The DAG then also runs on each batch of notifications, importing just the orders they name;
    the account's schedule still reads the full window (the safety net for a lost notification)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    queue_url: Annotated[str, Field(min_length=1)]
    aws_conn_id: Annotated[str, Field(min_length=1)] = "aws_default"
    # the seller the account reads; a notification naming another seller is ignored
    seller_id: Annotated[str, Field(pattern=r"^[A-Z0-9]{1,32}$")] | None = None
    region_name: Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d+$")] | None = None

    @field_validator("queue_url")
    @classmethod
    def _queue_url(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError("must be the SQS queue's http(s) URL, e.g. "
                             "https://sqs.eu-west-1.amazonaws.com/123456789012/amazon-orders-it-main")
        return value


def account_dag_id(account_id: str) -> str:
    """The import DAG of an account; its Airflow permissions decide who sees and changes the account."""
    return f"amazon_orders__{account_id}"


class AccountConfig(BaseModel):
    """One Amazon seller account as configured by the integrator."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]{0,62}$")]
    description: str
    marketplaces: Annotated[list[str], Field(min_length=1)]
    create_orders: bool
    order_statuses: Annotated[list[AmazonStatus], Field(min_length=1)]
    orders_series: Annotated[int, Field(ge=1, le=999)]
    customer_ledgers: Annotated[list[str], Field(min_length=1)]
    warehouse_mfn: Annotated[int, Field(ge=0)]
    warehouse_afn: Annotated[int, Field(ge=0)]
    causale: Annotated[int, Field(ge=0)] | None = None
    cost_centre: Annotated[int, Field(ge=0)] | None = None
    carrier: str | None = None
    carrier_free_shipping: str | None = None
    shipping_article_standard: str
    shipping_article_express: str
    afn_placeholder_customer: Annotated[str, Field(pattern=r"^\d{3}\.\d{5}$")] | None = None
    # cat_annul_riga ("Categoria annullamento stato riga annullata", numeric) set on the rows of an
    # order Amazon cancelled after it reached the gestionale; None: the rows get no category
    cancellation_category: Annotated[int, Field(ge=1)] | None = None  # the reference gives no range
    schedule: str | None = None
    notification_emails: list[str] = []
    admin_emails: list[str] = []
    api_version: Literal["2026-01-01", "v0"] = "2026-01-01"
    connection_id: str | None = None
    unknown_sku_article: str | None = None
    # Only one system may confirm this Amazon account's shipments (see README): off when another does.
    confirm_shipments: bool = True
    # None: no notifications, the account runs on its schedule (and by hand) only
    notifications: NotificationSettings | None = None
    # company-wide: copied from the accounts file's ``spesa_articles`` block, never set per account
    # (nor dumped with it, so a dumped accounts file loads again)
    spesa_articles: SpesaArticles = Field(default=SpesaArticles(), exclude=True)
    shipments: ShipmentSettings = Field(default=ShipmentSettings(), exclude=True)  # likewise company-wide
    # company-wide too, copied from the accounts file's ``vat`` and ``currencies``
    vat: VatSettings = Field(default=VatSettings(), exclude=True)
    currencies: dict[str, int] = Field(default={}, exclude=True)

    @field_validator("create_orders", "confirm_shipments", mode="before")
    @classmethod
    def _create_orders(cls, value: Any) -> bool:
        return _si_no(value)

    @field_validator("marketplaces")
    @classmethod
    def _marketplaces(cls, value: list[str]) -> list[str]:
        for marketplace in value:
            if marketplace not in MARKETPLACES:
                allowed = ", ".join(f"{k} ({v})" for k, v in MARKETPLACES.items())
                raise ValueError(f"unknown marketplace id {marketplace!r}; allowed: {allowed}")
        return value

    @field_validator("order_statuses", mode="before")
    @classmethod
    def _statuses(cls, value: Any) -> Any:
        if not isinstance(value, list):
            raise ValueError("must be a list of Amazon order statuses")
        parsed = []
        for status in value:
            try:
                parsed.append(AmazonStatus.parse(str(status)))
            except ValueError:
                raise ValueError(
                    f"unknown Amazon order status {status!r}; allowed: {ALLOWED_STATUSES_TEXT}"
                ) from None
        return parsed

    @field_validator("customer_ledgers", mode="before")
    @classmethod
    def _ledgers(cls, value: Any) -> Any:
        if not isinstance(value, list):
            value = [value]
        ledgers = [str(v).strip() for v in value]
        for mastro in ledgers:
            if not MASTRO_RE.match(mastro):
                raise ValueError(f"malformed mastro code {mastro!r}; a mastro is 3 digits, e.g. '501'")
        return ledgers

    @field_validator("schedule", mode="before")
    @classmethod
    def _schedule(cls, value: Any) -> str | None:
        if value is None or (isinstance(value, str) and value.strip().lower() in {"", "none"}):
            return None
        text = str(value).strip()
        return SCHEDULE_PRESETS.get(text.lower()) or validate_cron(text)

    @field_validator("notification_emails", "admin_emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for email in value:
            if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
                raise ValueError(f"{email!r} is not an email address")
        return value

    @property
    def dag_id(self) -> str:
        return account_dag_id(self.id)

    @property
    def sp_api_conn_id(self) -> str:
        return self.connection_id or f"amazon_sp_api__{self.id}"


class AccountsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accounts: list[AccountConfig]
    sync_schedule: str | None = None
    monthly_sync_quota: Annotated[int, Field(ge=0)] = 30
    smtp_conn_id: str = "smtp_default"
    # Amazon's data protection policy: buyer data no longer than 30 days after delivery.
    buyer_data_retention_days: Annotated[int, Field(ge=1, le=30)] = 30
    purge_schedule: str | None = "30 3 * * *"  # every night at 03:30 Italian time
    # how long Airflow waits before each of the two retries of a failed task of an account's import
    import_retry_delay_seconds: Annotated[int, Field(ge=1, le=3600)] = 60
    spesa_articles: SpesaArticles = SpesaArticles()
    # shipment confirmation, company-wide: gestionale carrier -> Amazon carrier, the delivery
    # documents' sigle, and how many days of them each run reads again
    carriers: dict[str, CarrierMapping] = {}
    shipment_sigle: Annotated[list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]], Field(min_length=1)] = ["BC", "FT"]
    shipment_reread_days: Annotated[int, Field(ge=1, le=120)] = 14
    delivery_margin_days: Annotated[int, Field(ge=0, le=30)] = 10  # shipment date -> assumed delivery
    vat: VatSettings = VatSettings()
    # ISO 4217 code -> the gestionale's id_valuta (dati-generali/valute); EUR is the base currency
    currencies: dict[str, Annotated[int, Field(ge=1)]] = {}

    @model_validator(mode="before")
    @classmethod
    def _spesa_articles_once(cls, raw: Any) -> Any:
        for index, entry in enumerate(raw.get("accounts") or [] if isinstance(raw, dict) else []):
            for name in ("spesa_articles", "carriers", "shipment_sigle", "shipment_reread_days", "vat",
                         "delivery_margin_days", "import_retry_delay_seconds",
                         "currencies"):
                if isinstance(entry, dict) and name in entry:
                    account = entry.get("id", f"#{index + 1}")
                    raise ValueError(
                        f"account {account!r}: field {name!r}: it is company-wide, set it once at the top "
                        "of the accounts file"
                    )
        return raw

    @field_validator("carriers", mode="before")
    @classmethod
    def _carrier_codes(cls, value: Any) -> Any:
        # a YAML key such as 12 is a number: the gestionale's cod_vettore is text
        return {str(k).strip(): v for k, v in value.items()} if isinstance(value, dict) else value


    @field_validator("currencies", mode="before")
    @classmethod
    def _currencies(cls, value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError("currencies must map an ISO 4217 code to the gestionale's id_valuta, e.g. {GBP: 2}")
        seen: dict[int, str] = {}
        parsed = {}
        for raw_code, currency_id in value.items():
            code = str(raw_code).strip().upper()
            if not ISO_CURRENCY_RE.match(code):
                raise ValueError(f"currencies: {raw_code!r} is not an ISO 4217 currency code such as GBP")
            if code == "EUR":
                raise ValueError("currencies: EUR is the gestionale's base currency and needs no id_valuta")
            if code in parsed:
                raise ValueError(f"currencies: {code} is given twice")
            if isinstance(currency_id, bool) or not isinstance(currency_id, int):
                raise ValueError(f"currencies.{code}: {currency_id!r} is not an id_valuta (a whole number)")
            if currency_id in seen:
                raise ValueError(f"currencies: {seen[currency_id]} and {code} have the same id_valuta {currency_id}")
            seen[currency_id] = code
            parsed[code] = currency_id
        return parsed

    @model_validator(mode="after")
    def _one_rounding_code(self) -> AccountsFile:
        """``vat.rounding`` and ``spesa_articles.rounding_vat_code`` are one setting: the rounding row's
        exemption; either spelling sets it, two different values are refused."""
        given = self.vat.rounding
        if given is None:
            self.vat = self.vat.model_copy(update={"rounding": self.spesa_articles.rounding_vat_code})
        elif "rounding_vat_code" in self.spesa_articles.model_fields_set:
            if self.spesa_articles.rounding_vat_code != given:
                raise ValueError(
                    f"vat.rounding {given!r} and spesa_articles.rounding_vat_code "
                    f"{self.spesa_articles.rounding_vat_code!r} are the same setting: give it once"
                )
        else:
            self.spesa_articles = self.spesa_articles.model_copy(update={"rounding_vat_code": given})
        if self.vat.rounding in (self.vat.reverse_charge, self.vat.marketplace_facilitator):
            raise ValueError(f"vat.rounding {self.vat.rounding!r} must differ from the reverse-charge and "
                             "marketplace-facilitator codes")
        return self

    @field_validator("sync_schedule", "purge_schedule", mode="before")
    @classmethod
    def _global_schedule(cls, value: Any) -> str | None:
        return AccountConfig._schedule(value)

    @model_validator(mode="after")
    def _unique_ids(self) -> AccountsFile:
        seen: set[str] = set()
        for account in self.accounts:
            if account.id in seen:
                raise ValueError(f"account {account.id!r}: field 'id': duplicate account id")
            seen.add(account.id)
            shipping = {account.shipping_article_standard, account.shipping_article_express}
            if shipping & self.spesa_articles.codes:
                raise ValueError(
                    f"account {account.id!r}: a shipping article is also one of spesa_articles "
                    f"({', '.join(sorted(shipping & self.spesa_articles.codes))}): each must be its own article"
                )
        shipments = ShipmentSettings(carriers=self.carriers, sigle=self.shipment_sigle,
                                     reread_days=self.shipment_reread_days,
                                     delivery_margin_days=self.delivery_margin_days)
        company = {"spesa_articles": self.spesa_articles, "vat": self.vat, "currencies": self.currencies,
                   "shipments": shipments}
        self.accounts = [a.model_copy(update=company) for a in self.accounts]
        return self

    def account(self, account_id: str) -> AccountConfig:
        for account in self.accounts:
            if account.id == account_id:
                return account
        raise KeyError(f"no account {account_id!r} in the configuration")

    @property
    def importing_accounts(self) -> list[AccountConfig]:
        return [a for a in self.accounts if a.create_orders]


class ConfigError(ValueError):
    """The accounts file is unreadable or invalid; the message names account and field."""


def _find_credentials(raw: Any, path: str = "") -> str | None:
    if isinstance(raw, dict):
        for key, value in raw.items():
            if str(key).lower() in CREDENTIAL_KEYS:
                return f"{path}{key}"
            found = _find_credentials(value, f"{path}{key}.")
            if found:
                return found
    elif isinstance(raw, list):
        for value in raw:
            found = _find_credentials(value, path)
            if found:
                return found
    return None


def _describe(error: ValidationError, raw: dict) -> str:
    lines = []
    accounts = raw.get("accounts") if isinstance(raw.get("accounts"), list) else []
    for item in error.errors():
        loc = list(item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if len(loc) >= 2 and loc[0] == "accounts" and isinstance(loc[1], int):
            entry = accounts[loc[1]] if loc[1] < len(accounts) else {}
            name = entry.get("id", f"#{loc[1] + 1}") if isinstance(entry, dict) else f"#{loc[1] + 1}"
            field = ".".join(str(part) for part in loc[2:]) or "(entry)"
            if item["type"] == "missing":
                message = "is required"
            elif item["type"] == "extra_forbidden":
                message = "is not a known field"
            lines.append(f"account {name!r}: field {field!r}: {message}")
        elif message.startswith("account "):
            lines.append(message)
        else:
            lines.append(f"field {'.'.join(map(str, loc)) or '(file)'!r}: {message}")
    return "; ".join(lines)


def parse_accounts(raw: Any, source: str = "<config>") -> AccountsFile:
    if not isinstance(raw, dict) or not isinstance(raw.get("accounts"), list):
        raise ConfigError(f"{source}: expected a mapping with an 'accounts' list")
    for index, entry in enumerate(raw["accounts"]):
        credential = _find_credentials(entry)
        if credential:
            name = entry.get("id", f"#{index + 1}") if isinstance(entry, dict) else f"#{index + 1}"
            raise ConfigError(
                f"{source}: account {name!r}: field {credential!r}: credentials must not be in "
                "the configuration file; put them in the Airflow connection "
                f"amazon_sp_api__{name} (or the account's connection_id)"
            )
    try:
        return AccountsFile.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(f"{source}: {_describe(error, raw)}") from None


def accounts_file_path() -> Path:
    return Path(os.environ.get(ACCOUNTS_FILE_ENV) or DEFAULT_ACCOUNTS_FILE)


def load_accounts(path: str | Path | None = None) -> AccountsFile:
    """Load and validate the accounts file (``$AMAZON_ACCOUNTS_FILE`` or the example)."""
    path = Path(path) if path else accounts_file_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read the accounts file {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    return parse_accounts(raw, str(path))
