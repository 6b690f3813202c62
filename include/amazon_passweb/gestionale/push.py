"""Pushing site orders into the gestionale: customer, shipping address, document; in parallel.

One order's failure (a refused record, a mapping problem, the gestionale unavailable) is
recorded on that order's result and the others go on; a PushStopped (credentials or
coordinates refused) stops the whole push at once and is raised.

A create whose outcome stayed uncertain (``UncertainCreate``: its answer lost, a search after it
finding nothing) ends that order's push, recorded on its result for the caller to keep: the order
waits, and no other order of the same push sends that customer or address again.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from amazon_passweb.config import AccountConfig
from amazon_passweb.gestionale.client import CreateIntents, GestionaleClient
from amazon_passweb.gestionale.errors import GestionaleError, GestionaleUnavailable, PushStopped, UncertainCreate
from amazon_passweb.gestionale.fields import clean
from amazon_passweb.gestionale.mapping import (
    MappedRecord,
    OrderInput,
    UnmappableDocument,
    build_customer,
    build_document,
    build_shipping_address,
    same_address,
)


@dataclass
class OrderPush:
    """One site order to store, with what the site already knows about it."""

    order: OrderInput
    customer_code: str | None = None  # the customer's gestionale code, when it has one
    shipping_address_id: str | None = None  # the address's gestionale id, when it has one
    may_exist: bool = True  # False only when no earlier run can have sent this document
    # When an earlier create of this order's customer, shipping address or document was sent and its outcome
    # stayed uncertain (the site records it): searched for first, not sent again before the client's wait.
    uncertain_customer: dt.datetime | None = None
    uncertain_address: dt.datetime | None = None
    uncertain_document: dt.datetime | None = None
    # where this order's creates are announced before they are sent (a write-ahead intent), when the caller keeps one
    intents: CreateIntents | None = None


@dataclass
class PushResult:
    amazon_order_id: str
    document_key: str | None = None
    document_created: bool = False
    customer_code: str | None = None
    customer_created: bool = False
    shipping_address_id: str | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None  # why this order is not in the gestionale
    uncertain: UncertainCreate | None = None  # a create of this order whose outcome is uncertain

    @property
    def ok(self) -> bool:
        return self.document_key is not None


class _SharedRecords:
    """Orders of one push that share a new customer or address: one lock per lookup key, so that only
    one of them creates it, and the time of an uncertain create of it, so that none of the others
    sends it again within the push (they search for it instead)."""

    def __init__(self):
        self._locks: dict[str, threading.Lock] = {}
        self._uncertain: dict[str, dt.datetime] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, key: object, uncertain_since: dt.datetime | None = None) -> Iterator[dt.datetime | None]:
        """Hold the record's lock; yields when its create was last uncertain (``uncertain_since``, the site's,
        or one sent by this push), None when never."""
        text = json.dumps(key, sort_keys=True, default=str)
        with self._guard:
            lock = self._locks.setdefault(text, threading.Lock())
        with lock:
            since = _latest(uncertain_since, self._uncertain.get(text))
            try:
                yield since
            except UncertainCreate as uncertain:
                with self._guard:
                    self._uncertain[text] = max(since or uncertain.posted_at, uncertain.posted_at)
                raise


class Outage:
    """One order found the gestionale unreachable for its whole retry budget: the orders of the push not
    started yet are not tried (each would wait out the same budget: a 21-order push in an outage took
    over 40 minutes to give up); they fail at once as unreachable and wait for the next push."""

    def __init__(self):
        self._error: str | None = None
        self._guard = threading.Lock()

    def trip(self, error: GestionaleError) -> None:
        with self._guard:
            self._error = self._error or f"{type(error).__name__}: {error}"

    @property
    def error(self) -> str | None:
        """Why the push stopped trying (the first unreachable order's error), None while it goes on."""
        return self._error


def _latest(*moments: dt.datetime | None) -> dt.datetime | None:
    return max((m for m in moments if m is not None), default=None)


def push_order(
    client: GestionaleClient,
    account: AccountConfig,
    item: OrderPush,
    *,
    document_date: dt.date | None = None,
    locks: _SharedRecords | None = None,
    exchange_rates: dict[int, Decimal] | None = None,
    outage: Outage | None = None,
) -> PushResult:
    """Store one order; per-order problems are returned in ``PushResult.error`` (and an uncertain create
    in ``PushResult.uncertain`` too). Not tried once ``outage`` says the gestionale is unreachable."""
    locks = locks or _SharedRecords()
    order = item.order
    result = PushResult(order.amazon_order_id)
    if outage is not None and outage.error:
        result.error = (f"GestionaleUnavailable: not tried, an earlier order of this push found the gestionale "
                        f"unreachable ({outage.error})")
        return result
    try:
        code = item.customer_code
        if code is None and order.customer is None:
            if order.fulfilment_channel != "AFN" or not account.afn_placeholder_customer:
                raise UnmappableDocument("the order has no customer data (incomplete AFN order) and no placeholder")
            code = account.afn_placeholder_customer
        built_from_order = code is None
        if built_from_order:
            customer = build_customer(order.customer)
            result.warnings += customer.warnings
            with locks.hold(("customer", customer.lookup), item.uncertain_customer) as since:
                created = client.ensure_customer(customer, account.customer_ledgers, uncertain_since=since,
                                                 intents=item.intents)
            code, result.customer_created = created.key, created.created
        result.customer_code = code
        result.shipping_address_id = _shipping_address(client, account, item, code, built_from_order, result, locks)
        document = build_document(order, account, code, result.shipping_address_id, document_date=document_date,
                                  exchange_rates=exchange_rates)
        result.warnings += document.warnings
        created = client.create_document(document, may_exist=item.may_exist,
                                         uncertain_since=item.uncertain_document, intents=item.intents)
        result.document_key, result.document_created = created.key, created.created
    except PushStopped:
        raise
    except UncertainCreate as uncertain:
        result.uncertain, result.error = uncertain, f"{type(uncertain).__name__}: {uncertain}"
        if uncertain.unreachable and outage is not None:
            outage.trip(uncertain)
    except (GestionaleError, UnmappableDocument) as error:
        result.error = f"{type(error).__name__}: {error}"
        if isinstance(error, GestionaleUnavailable) and outage is not None:
            outage.trip(error)
    return result


def _shipping_address(
    client: GestionaleClient,
    account: AccountConfig,
    item: OrderPush,
    code: str,
    built_from_order: bool,
    result: PushResult,
    locks: _SharedRecords,
) -> str | None:
    """The document's shipping address id: the known one, none when the goods go to the
    customer's own address (or the AFN placeholder), else one found or created for it.

    A customer built from this order lives where the order names it (once it has just been created, or
    found living there); a customer the site already knew by its code lives where its gestionale record says.
    """
    shipping = item.order.shipping_address
    if item.shipping_address_id is not None:
        return item.shipping_address_id
    if shipping is None or code == account.afn_placeholder_customer:
        return None
    address = build_shipping_address(shipping, code)
    if built_from_order:
        own = same_address(item.order.customer, shipping) and (
            result.customer_created or _customer_lives_there(client, code, address)
        )
    else:
        own = _customer_lives_there(client, code, address)
    if own:
        return None  # the goods go to the customer's own address in the gestionale
    result.warnings += address.warnings
    with locks.hold(("address", address.lookup), item.uncertain_address) as since:
        return client.ensure_shipping_address(address, uncertain_since=since, intents=item.intents).key


def _customer_lives_there(client: GestionaleClient, code: str, address: MappedRecord) -> bool:
    """Whether the customer the gestionale already had (found, or known by its code) has this address as
    its own: one found by VAT number may live elsewhere, and goods for someone else at the customer's
    street need the recipient's name, so the order then needs its shipping address (as ``same_address``
    decides for a customer built from the order: both ways must leave the same records)."""
    record = client.get_customer(code) or {}
    pairs = (("ragione_sociale", "descrizione"), ("indirizzo", "indirizzo"), ("cap", "cap"), ("localita", "localita"))
    return all(clean(record.get(mine)).casefold() == clean(address.payload.get(theirs)).casefold()
               for mine, theirs in pairs)


CURRENCIES = "risorse/dati-generali/valute"


def exchange_rates(client: GestionaleClient) -> dict[int, Decimal]:
    """id_valuta -> the gestionale's own exchange rate (``cambio_euro``, "Cambio fisso Euro"), read once
    per batch: a document in another currency carries it as ``cambio_vlt_euro``."""
    rates = {}
    for row in client.records(CURRENCIES, fields=["id", "sigla", "cambio_euro"], page_size=1000):
        if row.get("id") is not None and row.get("cambio_euro") not in (None, "", 0):
            rates[int(row["id"])] = Decimal(str(row["cambio_euro"]))
    return rates


def push_orders(
    client: GestionaleClient,
    account: AccountConfig,
    items: Iterable[OrderPush],
    *,
    document_date: dt.date | None = None,
    outage: Outage | None = None,
) -> list[PushResult]:
    """Push orders ``client.settings.max_concurrency`` at a time; results in input order. ``outage`` may be
    shared by the pages of one push, so that once it trips no later page is tried either."""
    items = list(items)
    results: list[PushResult | None] = [None] * len(items)
    with PushPool(client, account, document_date=document_date, outage=outage) as pool:
        rates = pool.exchange_rates(items)
        for index, item in enumerate(items):
            pool.submit(item, index, rates)
        while pool:
            for index, result in pool.completed():
                results[index] = result
    return results


class PushPool:
    """The workers of one push, ``client.settings.max_concurrency`` of them. Orders are submitted one at a
    time and each result is handed back as soon as it is ready, so the caller records it and submits more
    while the others are still in flight: the gestionale's slots do not idle while the site is written.
    One ``_SharedRecords`` for everything submitted: orders of one push may share a new customer or
    address whichever page they were read in. A PushStopped from any order is raised by ``completed``;
    leaving the pool then drops the orders not started and waits for those in flight."""

    def __init__(self, client: GestionaleClient, account: AccountConfig, *, document_date: dt.date | None = None,
                 outage: Outage | None = None):
        self._client, self._account, self._document_date = client, account, document_date
        self._locks = _SharedRecords()
        self._outage = outage or Outage()
        self._pool = ThreadPoolExecutor(max_workers=client.settings.max_concurrency,
                                        thread_name_prefix="gestionale-push")
        self._running: dict[Future, object] = {}  # in submission order

    def __enter__(self) -> PushPool:
        return self

    def __exit__(self, *exc_info) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __len__(self) -> int:
        """Orders submitted whose result has not been handed back yet."""
        return len(self._running)

    def exchange_rates(self, items: Iterable[OrderPush]) -> dict[int, Decimal]:
        """The rates for these orders' documents: read (once per call) only when one is not in euro."""
        if all(item.order.currency == "EUR" for item in items):
            return {}
        try:
            return exchange_rates(self._client)
        except PushStopped:
            raise
        except GestionaleError:  # the documents go without it: the gestionale applies its own table's rate
            return {}

    def submit(self, item: OrderPush, tag: object, rates: dict[int, Decimal]) -> None:
        """Queue one order; ``tag`` comes back with its result."""
        future = self._pool.submit(push_order, self._client, self._account, item, document_date=self._document_date,
                                   locks=self._locks, exchange_rates=rates, outage=self._outage)
        self._running[future] = tag

    def completed(self) -> list[tuple[object, PushResult]]:
        """Waits for at least one submitted order to finish: (tag, result) of every finished one."""
        done, _ = wait(self._running, return_when=FIRST_COMPLETED)
        for future in done:
            if isinstance(future.exception(), PushStopped):
                raise future.exception()
        return [(self._running.pop(future), future.result()) for future in list(self._running) if future in done]
