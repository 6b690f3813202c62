"""Preflight for integrators: the configuration checked against the gestionale, Amazon and, for
accounts listening to Amazon's notifications, their SQS queues.

Every problem is named in plain words, with what to fix; nothing is written anywhere. The
gestionale's credentials are tried once: after a refusal nothing more is sent (a few failed
logins lock the WebAPI user). Used by ``python -m amazon_passweb doctor`` and by the account
DAG's ``preflight`` parameter.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from amazon_passweb.config import AccountConfig, SpesaArticles, VatSettings
from amazon_passweb.gestionale.client import CUSTOMERS, GestionaleClient
from amazon_passweb.gestionale.errors import ConfigurationRefused, CredentialsRefused, GestionaleError

log = logging.getLogger(__name__)

SERIES = "risorse/dati-generali/serie-documenti"
WAREHOUSES = "risorse/dati-generali/magazzini"
CAUSALI = "risorse/dati-generali/causali-movimenti"
COST_CENTRES = "risorse/dati-generali/centri-costo-ricavo"
EXEMPTIONS = "risorse/dati-generali/esenzioni-iva"
CURRENCIES = "risorse/dati-generali/valute"
ORDER_SIGLE = ("OC", "OX")


@dataclass(frozen=True)
class Finding:
    level: Literal["ok", "problem", "note"]
    subject: str  # "gestionale", "account it_main", "amazon it_main"
    text: str

    def __str__(self) -> str:
        mark = {"ok": "ok     ", "problem": "PROBLEM", "note": "note   "}[self.level]
        return f"{mark} {self.subject}: {self.text}"


class Findings(list[Finding]):
    def ok(self, subject: str, text: str) -> None:
        self.append(Finding("ok", subject, text))

    def problem(self, subject: str, text: str) -> None:
        self.append(Finding("problem", subject, text))

    def note(self, subject: str, text: str) -> None:
        self.append(Finding("note", subject, text))

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self if f.level == "problem"]


def check_gestionale(client: GestionaleClient, accounts: Iterable[AccountConfig]) -> Findings:
    """Reachable, credentials, coordinates, then every code the accounts name."""
    findings = Findings()
    subject = "gestionale"
    try:
        currencies = list(client.records(CURRENCIES, fields=["id", "sigla"], page_size=1000))
    except CredentialsRefused:
        findings.problem(
            subject,
            f"the WebAPI refused the credentials of user {client.settings.user!r} (tried once, not retried: "
            "failed logins lock the user); fix login/password/dominio of the gestionale connection",
        )
        return findings
    except ConfigurationRefused:
        findings.problem(
            subject,
            f"the gestionale refused the coordinates Azienda={client.settings.azienda} Anno={client.settings.anno}"
            "; fix extra.azienda / extra.anno of the gestionale connection",
        )
        return findings
    except GestionaleError as error:
        findings.problem(subject, f"the WebAPI at {client.settings.base_url} cannot be used: {error}")
        return findings
    findings.ok(subject, f"reachable at {client.settings.base_url}, credentials and coordinates accepted")
    if not any(str(c.get("sigla", "")).strip().upper() == "EUR" for c in currencies):
        findings.problem(subject, "the currency table (dati-generali/valute) has no EUR")
    tables = _Tables(client)
    accounts = list(accounts)
    # company-wide, copied into every account: the defaults when no account is configured
    for spesa in dict.fromkeys(a.spesa_articles for a in accounts) or [SpesaArticles()]:
        _check_spesa_articles(client, tables, findings, subject, spesa)
    vat = accounts[0].vat if accounts else VatSettings()
    _check_vat_and_currencies(findings, subject, tables, vat, accounts[0].currencies if accounts else {},
                              currencies)
    for account in accounts:
        _check_account(client, tables, findings, account)
    return findings


def _check_spesa_articles(
    client: GestionaleClient, tables: _Tables, findings: Findings, subject: str, spesa: SpesaArticles
) -> None:
    if not tables.has(EXEMPTIONS, "codice", spesa.rounding_vat_code):
        findings.problem(
            subject,
            f"spesa_articles.rounding_vat_code {spesa.rounding_vat_code} is not in the VAT exemptions "
            "(dati-generali/esenzioni-iva)",
        )
    for name in ("shipping_discount", "gift_wrap", "promotion", "rounding"):
        _article(client, findings, subject, getattr(spesa, name), f"spesa_articles.{name}")


def _check_vat_and_currencies(findings: Findings, subject: str, tables: _Tables, vat: VatSettings,
                              configured: dict[str, int], currencies: list[dict]) -> None:
    """The exemption codes of vat (reverse charge, marketplace facilitator) and every configured currency."""
    for name in ("reverse_charge", "marketplace_facilitator"):
        code = getattr(vat, name)
        if not tables.has(EXEMPTIONS, "codice", code):
            findings.problem(subject, f"vat.{name} {code} is not in the VAT exemptions (dati-generali/esenzioni-iva)")
    by_id = {str(row.get("id")): str(row.get("sigla", "")).strip().upper() for row in currencies}
    for iso, currency_id in configured.items():
        sigla = by_id.get(str(currency_id))
        if sigla is None:
            findings.problem(subject, f"currencies.{iso}: id_valuta {currency_id} is not in dati-generali/valute")
        elif sigla != iso:
            findings.problem(subject, f"currencies.{iso}: id_valuta {currency_id} is {sigla} in dati-generali/valute")
    rates = sorted({f"{country} {rate}" for country, codes in vat.codes.items() for rate in codes})
    if rates:
        # a row's cod_iva is the rate itself; the published description has no table of rates to read
        findings.note(subject, f"VAT rates {', '.join(rates)} cannot be checked: the WebAPI's published "
                      "description has no table of VAT rates; check them in the gestionale")


def _check_account(client: GestionaleClient, tables: _Tables, findings: Findings, account: AccountConfig) -> None:
    subject = f"account {account.id}"
    before = len(findings.problems)
    for sigla in ORDER_SIGLE:
        highest = tables.series_limit(sigla)
        if highest is None:
            findings.problem(
                subject, f"the gestionale has no document series for {sigla} (dati-generali/serie-documenti)"
            )
        elif account.orders_series > highest:
            findings.problem(
                subject, f"orders_series {account.orders_series} is beyond the {sigla} series in use (1-{highest})"
            )
    _article(client, findings, subject, account.shipping_article_standard, "shipping_article_standard")
    _article(client, findings, subject, account.shipping_article_express, "shipping_article_express")
    if account.unknown_sku_article:
        _article(client, findings, subject, account.unknown_sku_article, "unknown_sku_article")
    if account.afn_placeholder_customer and client.get_customer(account.afn_placeholder_customer) is None:
        findings.problem(
            subject,
            f"afn_placeholder_customer {account.afn_placeholder_customer} is not a customer of the gestionale",
        )
    for mastro in account.customer_ledgers:
        _mastro(tables, findings, subject, mastro)
    for name, value in (("warehouse_mfn", account.warehouse_mfn), ("warehouse_afn", account.warehouse_afn)):
        if not tables.has(WAREHOUSES, "id", value):
            findings.problem(subject, f"{name} {value} is not a warehouse of the gestionale (dati-generali/magazzini)")
    if account.causale is not None and not tables.has(CAUSALI, "id", account.causale):
        findings.problem(subject, f"causale {account.causale} is not in dati-generali/causali-movimenti")
    if account.cost_centre is not None and not tables.has(COST_CENTRES, "id", account.cost_centre):
        findings.problem(subject, f"cost_centre {account.cost_centre} is not in dati-generali/centri-costo-ricavo")
    empty = [name for name in ("causale", "cost_centre") if getattr(account, name) is None]
    if empty:
        # Passweb took these from its Wizard ("Ordini - Configurazione Ordini"), a site page the WebAPI cannot read
        findings.note(
            subject,
            f"{' and '.join(empty)} not set: documents are sent without them and the gestionale fills them as for "
            "any document (Passweb used its Wizard's Ordini - Configurazione Ordini values, which the WebAPI "
            "cannot read); set them if Amazon orders need their own",
        )
    carriers = sorted({c for c in (account.carrier, account.carrier_free_shipping) if c})
    if carriers:
        findings.note(
            subject,
            f"carriers {', '.join(carriers)} cannot be checked: the WebAPI's published description has no "
            "carriers archive; check them in the gestionale",
        )
    if len(findings.problems) == before:
        findings.ok(subject, "series, articles, customers, mastri, warehouses, causale and cost centre found")


def _mastro(tables: _Tables, findings: Findings, subject: str, mastro: str) -> None:
    """A customer already under the mastro proves it. Otherwise it cannot be checked: the published
    description does not say how a mastro is keyed in the chart of accounts (``conti``)."""
    if not tables.has_customer_under(mastro):
        findings.note(subject, f"customer mastro {mastro} has no customer yet: check that it exists in the gestionale")


def _article(client: GestionaleClient, findings: Findings, subject: str, code: str, what: str) -> None:
    if client.get_article(code) is None:
        findings.problem(subject, f"{what} {code} is not an article of the gestionale")


class _Tables:
    """The small general tables, each read once (a whole table is a few pages at most)."""

    def __init__(self, client: GestionaleClient):
        self._client = client
        self._cache: dict[str, list[dict]] = {}

    def rows(self, resource: str) -> list[dict]:
        if resource not in self._cache:
            self._cache[resource] = list(self._client.records(resource, page_size=1000))
        return self._cache[resource]

    def has(self, resource: str, field: str, value: object) -> bool:
        wanted = str(value).strip().upper()
        return any(str(row.get(field, "")).strip().upper() == wanted for row in self.rows(resource))

    def series_limit(self, sigla: str) -> int | None:
        for row in self.rows(SERIES):
            if str(row.get("sigla_documento", "")).strip().upper() == sigla:
                return int(row.get("serie_massima") or 0)
        return None

    def has_customer_under(self, mastro: str) -> bool:
        filtri = [{"campo": "codice", "condizione": "inizia_per", "valore": f"{mastro}."}]
        return next(self._client.search(CUSTOMERS, filtri, fields=["codice"], page_size=1), None) is not None


def check_amazon(account: AccountConfig, client_factory: Callable[[AccountConfig], object]) -> Findings:
    """Amazon login works and a one-minute searchOrders answers for each marketplace."""
    from amazon_passweb.amazon.errors import SpApiError

    findings = Findings()
    subject = f"amazon {account.id}"
    try:
        client = client_factory(account)
    except Exception as error:  # a missing connection or a malformed extra: both are configuration
        findings.problem(subject, f"the connection {account.sp_api_conn_id!r} cannot be used: {error}")
        return findings
    try:
        before = client.clamp_before(None)
        for marketplace in account.marketplaces:
            try:
                next(
                    client.iter_pages(
                        before - dt.timedelta(minutes=1), before, marketplace_ids=[marketplace], page_size=1
                    ),
                    None,
                )
            except SpApiError as error:
                findings.problem(subject, f"searchOrders for marketplace {marketplace} failed: {error}")
            else:
                findings.ok(subject, f"login works, searchOrders answers for marketplace {marketplace}")
    finally:
        client.close()
    return findings


def check_notifications(account: AccountConfig, queue_arn: Callable[[AccountConfig], str],
                        notifications_factory: Callable[[AccountConfig], object]) -> Findings:
    """For an account with ``notifications``: its queue can be read with its aws connection, and
    Amazon sends the seller's ORDER_CHANGE notifications to that very queue."""
    findings = Findings()
    settings = account.notifications
    if settings is None:
        return findings
    subject = f"notifications {account.id}"
    try:
        arn = queue_arn(account)
    except Exception as error:  # a missing connection, refused keys, no such queue: all configuration
        findings.problem(subject, f"the queue {settings.queue_url} cannot be read with the connection "
                                  f"{settings.aws_conn_id!r}: {type(error).__name__}: {error}")
        return findings
    findings.ok(subject, f"the queue {arn} can be read with the connection {settings.aws_conn_id!r}")
    try:
        with notifications_factory(account) as client:
            state = client.describe()
    except Exception as error:
        findings.problem(subject, f"Amazon's Notifications API cannot be asked: {error}")
        return findings
    destination = state.subscribed_destination
    setup = f"python -m amazon_passweb notifications setup {account.id} --queue-arn {arn}"
    if state.subscription is None:
        findings.problem(subject, f"the seller has no ORDER_CHANGE subscription: run `{setup}`")
    elif destination is None or destination.queue_arn != arn:
        where = destination.queue_arn if destination and destination.queue_arn else "another destination"
        findings.problem(subject, f"Amazon sends the seller's ORDER_CHANGE notifications to {where}, not to "
                                  f"this account's queue: see docs/notifications.md, then run `{setup}`")
    else:
        findings.ok(subject, "Amazon sends the seller's ORDER_CHANGE notifications to this queue")
    return findings


def _queue_arn(account: AccountConfig) -> str:
    from airflow.providers.amazon.aws.hooks.sqs import SqsHook

    settings = account.notifications
    hook = SqsHook(aws_conn_id=settings.aws_conn_id, region_name=settings.region_name)
    answer = hook.get_conn().get_queue_attributes(QueueUrl=settings.queue_url, AttributeNames=["QueueArn"])
    return answer["Attributes"]["QueueArn"]


def _default_notifications_client(account: AccountConfig):
    from amazon_passweb.amazon.hook import SpApiHook

    return SpApiHook.notifications_client_for_account(account)


def _default_amazon_client(account: AccountConfig):
    from amazon_passweb.amazon.hook import SpApiHook

    return SpApiHook.client_for_account(account)


def run_doctor(
    accounts: list[AccountConfig],
    gestionale: Callable[[], GestionaleClient],
    amazon: Callable[[AccountConfig], object] = _default_amazon_client,
    queue_arn: Callable[[AccountConfig], str] = _queue_arn,
    notifications: Callable[[AccountConfig], object] = _default_notifications_client,
) -> Findings:
    findings = Findings()
    try:
        client = gestionale()
    except Exception as error:  # missing or malformed connection
        findings.problem("gestionale", f"the gestionale connection cannot be used: {error}")
    else:
        findings += check_gestionale(client, accounts)
    for account in accounts:
        findings += check_amazon(account, amazon)
        findings += check_notifications(account, queue_arn, notifications)
    return findings
