"""The gestionale WebAPI client: reads, searches, and creates that happen exactly once.

Creates are not idempotent in the WebAPI, and a gestionale may commit a create after the client gave
up waiting for its answer. So a create is sent at most once per decision: when its answer is lost
(timeout, dropped connection, 408, 5001) the client waits ``settle_s`` and searches for the record by
its external key (``rif_nr_attuale`` for documents, the mapping's lookup for customers and addresses).
Found: it is the record. Not found: the outcome stays uncertain (``UncertainCreate``) and the client
never sends it again itself; the caller records when that POST was sent and passes it back as
``uncertain_since`` to later pushes, which search first and create again only once
``uncertain_wait_s`` has passed since that POST with the record still absent. ``may_exist=True``
searches before the first attempt too: use it whenever an earlier run may have sent the record.

A process killed while a POST is in flight leaves no ``UncertainCreate`` to record, so the caller may
pass ``intents`` (``CreateIntents``): told right before the POST leaves that it is being sent (the site
commits that first, a write-ahead intent later pushes treat as an uncertain create), and told again when
a definite answer says nothing was created, so that intent is dropped.
"""

from __future__ import annotations

import binascii
import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Protocol
from urllib.parse import parse_qs, quote, urlsplit

from amazon_passweb.gestionale.errors import (
    DocumentRefused,
    GestionaleError,
    GestionaleUnavailable,
    OutcomeUnknown,
    PushStopped,
    UncertainCreate,
    UnexpectedResponse,
)
from amazon_passweb.gestionale.mapping import MappedRecord
from amazon_passweb.gestionale.settings import WebApiSettings
from amazon_passweb.gestionale.shipments import (
    DEFAULT_SIGLE,
    HEADER_FIELDS,
    ROW_FIELDS,
    DeliveryDocument,
    delivery_documents,
    evaded_rows,
    wire_date,
)
from amazon_passweb.gestionale.transport import Transport

log = logging.getLogger(__name__)

# Resources, relative to the base URL ".../webapi/" (reference/mexal-webapi/sorgenti/help.json).
CUSTOMERS = "risorse/clienti"
ADDRESSES = "risorse/indirizzi-spedizione"
ARTICLES = "risorse/articoli"
ORDERS = "risorse/documenti/ordini-clienti"
MOVEMENTS = "risorse/documenti/movimenti-magazzino"
MOVEMENT_ROWS = MOVEMENTS + "/righe"
# dati-generali tables a changed/total sync copies into the site (domain.md §6). The reference has no
# archive of VAT rates (an ordinary rate is its number, "22") and none of carriers: neither can be read.
VAT_EXEMPTIONS = "risorse/dati-generali/esenzioni-iva"
PAYMENTS = "risorse/dati-generali/pagamenti"
CURRENCIES = "risorse/dati-generali/valute"
MAX_CONTO = 99999
MAX_PAGE = 1000  # the WebAPI's largest "max"
MAX_PAGES = 10_000  # a listing that keeps answering "next" past this is a fault, not data to wait for
STAMP_RE = re.compile(r"^\d{8} \d{6}$")  # AAAAMMGG HHMMSS, the WebAPI's date-time format
CODE_CLASH_RETRIES = 20  # conti taken by someone else between our search and our create
# What each create makes, as the site records an uncertain one (UncertainCreate.target).
TARGETS = {ORDERS: "document", CUSTOMERS: "customer", ADDRESSES: "address"}


class CreateIntents(Protocol):
    """Where one order's creates are announced before they are sent (a write-ahead intent)."""

    def sending(self, target: str, posted_at: dt.datetime) -> None:
        """A create of ``target`` is about to leave; recorded (committed) before it does."""

    def withdrawn(self, target: str, posted_at: dt.datetime) -> None:
        """That create was answered without creating anything (refused, or never sent)."""


@dataclass(frozen=True)
class Created:
    key: str  # "501.00042", an address id, or "OC+1+541"
    created: bool  # False: it already existed (found by its external key)


def document_key(record: dict) -> str:
    return f"{record['sigla']}+{record['serie']}+{record['numero']}"


def key_from_location(location: str | None) -> str:
    """The key at the end of a create's ``Location``, hex-decoded when it says ``encoding=hex``."""
    if not location:
        raise UnexpectedResponse("the gestionale answered a create without a Location header")
    parts = urlsplit(location)
    key = parts.path.rstrip("/").rsplit("/", 1)[-1]
    if parse_qs(parts.query).get("encoding") == ["hex"]:
        try:
            return bytes.fromhex(key).decode("latin-1")
        except (ValueError, binascii.Error):
            raise UnexpectedResponse(f"the gestionale answered a Location with a bad hex key: {location}") from None
    return key


def key_path(resource: str, key: str) -> tuple[str, dict[str, str] | None]:
    """The path of one record; keys holding ``/`` or ``\\`` travel hex-encoded (``?encoding=hex``)."""
    if "/" in key or "\\" in key:
        return f"{resource}/{key.encode('latin-1').hex().upper()}", {"encoding": "hex"}
    return f"{resource}/{quote(key, safe='+.-_')}", None


class GestionaleClient:
    """Thread-safe: share one client between the threads of a push."""

    def __init__(self, settings: WebApiSettings, *, transport: Transport | None = None, settle_s: float = 1.0,
                 clock: Callable[[], dt.datetime] | None = None):
        self.settings = settings
        self.transport = transport or Transport(settings)
        self.settle_s = settle_s
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._conti = _ContoCounter(self)

    @contextmanager
    def guard_writes(self, guard: Callable[[], None]) -> Iterator[None]:
        """Every create and revision sent meanwhile first calls ``guard``, which raises (a PushStopped)
        when this client may no longer write: the caller's exclusive right to write, checked as late
        as possible."""
        self.transport.write_guard = guard
        try:
            yield
        finally:
            self.transport.write_guard = None

    @property
    def write_guard(self) -> Callable[[], None] | None:
        return self.transport.write_guard

    def __repr__(self) -> str:
        return f"GestionaleClient({self.settings.base_url!r}, user={self.settings.user!r})"

    # reads
    def get_record(self, resource: str, key: str) -> dict | None:
        """One record by key; None when the gestionale answers 404."""
        path, params = key_path(resource, key)
        try:
            return self.transport.request("GET", path, idempotent=True, params=params).body
        except UnexpectedResponse as error:
            if error.status == 404:
                return None
            raise

    def get_customer(self, codice: str) -> dict | None:
        return self.get_record(CUSTOMERS, codice)

    def get_shipping_address(self, address_id: str) -> dict | None:
        return self.get_record(ADDRESSES, str(address_id))

    def get_article(self, codice: str) -> dict | None:
        return self.get_record(ARTICLES, codice)

    def get_document(self, key: str) -> dict | None:
        return self.get_record(ORDERS, key)

    def search(
        self, resource: str, filtri: list[dict], *, fields: list[str] | None = None, page_size: int = 100
    ) -> Iterator[dict]:
        """All matches of ``POST {resource}/ricerca``, following ``next`` page by page. The body
        holds only the filters (at least one); ``max``, ``fields`` and ``next`` go in the query."""
        if not filtri:
            raise ValueError("a ricerca needs at least one filter: use records() to read a whole archive")
        yield from self._pages("POST", f"{resource}/ricerca", {"filtri": filtri}, fields, page_size)

    def records(self, resource: str, *, fields: list[str] | None = None, page_size: int = 100) -> Iterator[dict]:
        """Every record of an archive: ``GET {resource}?fields=…&max=…``, following ``next``."""
        yield from self._pages("GET", resource, None, fields, page_size)

    def changed_since(
        self, resource: str, since: str | None, *, fields: list[str] | None = None, page_size: int = 100
    ) -> Iterator[dict]:
        """Every record (``since`` None), or those whose ``data_ult_mod`` ("Data ora ultima modifica",
        ``AAAAMMGG HHMMSS``, in the info lists of ``articoli`` and ``clienti``) is at or after ``since``.
        The reference publishes the field but says nothing of filtering on it; ``>=`` (not ``>``) so a
        record changed in the very second ``since`` was taken is read again rather than missed."""
        if since is None:
            return self.records(resource, fields=fields, page_size=page_size)
        return self.search(resource, [{"campo": "data_ult_mod", "condizione": ">=", "valore": since}],
                           fields=fields, page_size=page_size)

    def clock(self) -> str:
        """The gestionale's own time, ``AAAAMMGG HHMMSS``: the ``data_ric_elab`` ("data/ora di elaborazione
        della richiesta") of a one-record listing. A changed sync compares the gestionale's stamps with
        this, never with the site's clock, so clock skew and time zones play no part."""
        page = self.transport.request("GET", CURRENCIES, None, idempotent=True,
                                      params={"max": 1, "fields": ["id"]}).body or {}
        stamp = str(page.get("data_ric_elab") or "")
        if not STAMP_RE.match(stamp):
            raise UnexpectedResponse(f"the gestionale answered a listing without a valid data_ric_elab: {stamp!r}")
        return stamp

    def _pages(
        self, method: str, path: str, body: dict | None, fields: list[str] | None, page_size: int
    ) -> Iterator[dict]:
        params: dict[str, object] = {"max": min(page_size, MAX_PAGE), "fields": fields}
        for _ in range(MAX_PAGES):
            page = self.transport.request(method, path, body, idempotent=True, params=params).body or {}
            yield from page.get("dati") or []
            if not page.get("next"):
                return
            params = {**params, "next": page["next"]}  # opaque and short-lived: used at once
        raise UnexpectedResponse(f"{method} {path} still answered 'next' after {MAX_PAGES} pages")

    def find_document(self, rif_nr_attuale: str) -> str | None:
        """The key of the order document whose external reference is this Amazon order id."""
        for record in self.search(
            ORDERS,
            [{"campo": "rif_nr_attuale", "condizione": "=", "valore": rif_nr_attuale}],
            fields=["sigla", "serie", "numero"],
            page_size=1,
        ):
            return document_key(record)
        return None

    # delivery documents (shipments.py)
    def delivery_documents(
        self, since: dt.date, until: dt.date, sigle: Sequence[str] = DEFAULT_SIGLE, *, page_size: int = MAX_PAGE
    ) -> Iterator[DeliveryDocument]:
        """The movements of these sigle dated ``since``..``until`` (both included) that evade an order
        document. Read by ``data_documento``: movements carry no reliable last-modified date, and an
        operator may date one in the past or add its tracking later, so callers re-read recent days.
        Two paged ricerche: the evading rows (``/righe``, where the order link is on every row), then the
        headers (carrier, tracking, transport start); a movement written between the two is read next time.
        The window must lie in the client's working year (``anno``): the WebAPI reads no other."""
        if since > until:
            raise ValueError(f"an empty window: {since} after {until}")
        if not sigle:
            raise ValueError("no document sigle to read")
        window = [
            {"campo": "sigla", "condizione": "=", "valore": list(sigle)},
            {"campo": "data_documento", "condizione": ">=", "valore": wire_date(since)},
            {"campo": "data_documento", "condizione": "<=", "valore": wire_date(until)},
        ]
        evading = [*window, {"campo": "numero_ordine", "condizione": ">", "valore": 0}]
        rows = evaded_rows(self.search(MOVEMENT_ROWS, evading, fields=ROW_FIELDS, page_size=page_size))
        if not rows:
            return iter(())
        headers = self.search(MOVEMENTS, window, fields=HEADER_FIELDS, page_size=page_size)
        return delivery_documents(headers, rows, sigle)

    def carrier_name(self, cod_vettore: str) -> str | None:
        """Always None: the reference publishes no carriers (vettori) archive — no resource in help.json,
        no relation for cod_vettore in relazioni.json — so a carrier's name cannot be read; the
        accounts file's carrier mapping has to name it."""
        return None

    def find_customer(self, lookup: list[dict]) -> str | None:
        for record in self.search(CUSTOMERS, lookup, fields=["codice"], page_size=1):
            return str(record["codice"])
        return None

    def find_shipping_address(self, lookup: list[dict]) -> str | None:
        for record in self.search(ADDRESSES, lookup, fields=["id"], page_size=1):
            return str(record["id"])
        return None

    def highest_conto(self, mastro: str) -> int:
        """The highest conto in use under ``mastro`` (0: none), by a search in rounds with ricerca and no
        reliance on the order of the answers: each round asks ``max_concurrency`` conti at once, cutting
        the range left into that many + 1 parts, so 7 rounds at 5 in flight whatever the archive's size.
        One at a time (bisection, 17 in a row) it kept a push's first new customers, and the slots they
        would use, waiting for several round trips."""
        probes = max(1, self.settings.max_concurrency)
        low, high = 0, MAX_CONTO  # invariant: a conto >= low+1 ... is unknown; >= high+1 is unused
        with ThreadPoolExecutor(max_workers=probes, thread_name_prefix="gestionale-conto") as pool:
            while low < high:
                conti = sorted({low + max(1, (high - low) * n // (probes + 1)) for n in range(1, probes + 1)})
                in_use = list(pool.map(partial(self._conto_in_use_from, mastro), conti))
                # in use from a conto: from every lower one too, so the answers are in use up to a point
                low = max([conto for conto, used in zip(conti, in_use, strict=True) if used], default=low)
                high = min([conto - 1 for conto, used in zip(conti, in_use, strict=True) if not used], default=high)
        return low

    def _conto_in_use_from(self, mastro: str, conto: int) -> bool:
        filtri = [
            {"campo": "codice", "condizione": ">=", "valore": f"{mastro}.{conto:05d}"},
            {"campo": "codice", "condizione": "<=", "valore": f"{mastro}.{MAX_CONTO:05d}"},
        ]
        return next(self.search(CUSTOMERS, filtri, fields=["codice"], page_size=1), None) is not None

    # creates, exactly once
    def create_document(self, document: MappedRecord, *, may_exist: bool = True,
                        uncertain_since: dt.datetime | None = None,
                        intents: CreateIntents | None = None) -> Created:
        """Create the order document unless one with its ``rif_nr_attuale`` exists. ``uncertain_since``:
        when an earlier create of it had a lost answer and was not found (see the module's docstring)."""
        reference = document.payload["rif_nr_attuale"]
        return self._create_once(ORDERS, document.payload, lambda: self.find_document(reference), may_exist,
                                 uncertain_since, intents)

    def ensure_shipping_address(self, address: MappedRecord, *, may_exist: bool = True,
                                uncertain_since: dt.datetime | None = None,
                                intents: CreateIntents | None = None) -> Created:
        find = partial(self.find_shipping_address, address.lookup)
        return self._create_once(ADDRESSES, address.payload, find, may_exist, uncertain_since, intents)

    def ensure_customer(self, customer: MappedRecord, ledgers: list[str], *, may_exist: bool = True,
                        uncertain_since: dt.datetime | None = None,
                        intents: CreateIntents | None = None) -> Created:
        """Find the customer by its lookup key, or create it under the first of ``ledgers`` (mastri)
        with a free conto: the next one after the highest in use (``customer_code: search``), or
        ``mastro.AUTO`` numbered by the gestionale (``customer_code: auto``)."""
        if (may_exist or uncertain_since) and (found := self.find_customer(customer.lookup)):
            return Created(found, False)
        self._still_uncertain(CUSTOMERS, uncertain_since)
        if self.settings.customer_code == "auto":
            return self._create_customer_auto(customer, ledgers, intents)
        for mastro in ledgers:
            while (conto := self._conti.take(mastro)) is not None:
                created = self._create_customer_as(customer, f"{mastro}.{conto:05d}", intents)
                if created is not None:
                    return created
            log.info("mastro %s is full, moving to the next customer mastro", mastro)
        raise DocumentRefused(f"all customer mastri are full ({', '.join(ledgers)}): add one to the account")

    def _create_customer_as(self, customer: MappedRecord, codice: str,
                            intents: CreateIntents | None) -> Created | None:
        """Create with this code; None when the code turned out taken (look for another)."""
        find = partial(self.find_customer, customer.lookup)
        try:
            return self._create_once(CUSTOMERS, {"codice": codice, **customer.payload}, find, may_exist=False,
                                     intents=intents)
        except DocumentRefused:
            if found := find():  # an earlier push's create, whose answer was lost, did create it
                return Created(found, True)
            if self.get_customer(codice) is None:
                raise  # refused for its data: nothing to do with the code
            log.info("conto %s was taken meanwhile, trying the next one", codice)
            self._conti.taken(codice)
            return None

    def _create_customer_auto(self, customer: MappedRecord, ledgers: list[str],
                              intents: CreateIntents | None) -> Created:
        for mastro in ledgers:
            payload = {"codice": f"{mastro}.AUTO", **customer.payload}
            try:
                return self._create_once(
                    CUSTOMERS, payload, lambda: self.find_customer(customer.lookup), may_exist=False,
                    intents=intents,
                )
            except DocumentRefused:
                if self.get_customer(f"{mastro}.{MAX_CONTO:05d}") is None:
                    raise
                log.info("mastro %s is full, moving to the next customer mastro", mastro)
        raise DocumentRefused(f"all customer mastri are full ({', '.join(ledgers)}): add one to the account")

    def _create_once(self, resource: str, payload: dict, find: Callable[[], str | None], may_exist: bool,
                     uncertain_since: dt.datetime | None = None, intents: CreateIntents | None = None) -> Created:
        """One POST at most. A lost answer is followed, after ``settle_s``, by one search: found, it is the
        record; not found (or the search failing too), ``UncertainCreate``: never sent again here."""
        if (may_exist or uncertain_since) and (found := find()):
            return Created(found, False)
        self._still_uncertain(resource, uncertain_since)
        posted_at = self._clock()
        target = TARGETS.get(resource, resource)
        announced: list[bool] = []

        def announce() -> None:  # once, however many attempts a refused connection costs
            if intents is not None and not announced:
                intents.sending(target, posted_at)
                announced.append(True)

        try:
            answer = self.transport.request("POST", resource, payload, idempotent=False, before_send=announce)
        except OutcomeUnknown as lost:
            return self._after_lost_answer(resource, posted_at, find, lost)
        except GestionaleError:
            if announced:  # answered (refused) or never sent: nothing was created, the intent goes
                intents.withdrawn(target, posted_at)
            raise
        # created: the caller's record of it replaces the intent (a missing Location leaves it for a search)
        return Created(key_from_location(answer.location), True)

    def _after_lost_answer(self, resource: str, posted_at: dt.datetime, find: Callable[[], str | None],
                           lost: OutcomeUnknown) -> Created:
        """The create's answer was lost: found by a search after ``settle_s``, or ``UncertainCreate``."""
        log.warning("%s: searching for it after %.1f s", lost, self.settle_s)
        time.sleep(self.settle_s)  # let a create still in progress finish before searching
        try:
            if found := find():
                return Created(found, True)
            searched, unreachable = "not found by its key", False
        except PushStopped:
            raise
        except GestionaleError as error:  # the search failed as well: just as uncertain
            searched = f"the search failed too ({type(error).__name__}: {error})"
            unreachable = isinstance(error, GestionaleUnavailable)
        raise self._uncertain(resource, posted_at, f"{lost}; {searched}", unreachable) from lost

    def _still_uncertain(self, resource: str, since: dt.datetime | None) -> None:
        """Refuse to create again while an earlier uncertain POST of this record may still commit."""
        if since is not None and self._clock() < since + self._uncertain_wait:
            raise self._uncertain(resource, since, "an earlier create's outcome is still uncertain and a "
                                                   "search does not find it yet")

    @property
    def _uncertain_wait(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.settings.uncertain_wait_s)

    def _uncertain(self, resource: str, posted_at: dt.datetime, why: str, unreachable: bool = False) -> UncertainCreate:
        recreate_after = posted_at + self._uncertain_wait
        return UncertainCreate(
            f"POST {resource} sent at {posted_at:%Y-%m-%d %H:%M:%S} UTC: {why}; not sent again before "
            f"{recreate_after:%Y-%m-%d %H:%M:%S} UTC",
            target=TARGETS.get(resource, resource), posted_at=posted_at, recreate_after=recreate_after,
            unreachable=unreachable,
        )


class _ContoCounter:
    """The next free conto of each mastro: found once per client with ``highest_conto``, then
    counted here. Safe because the product's gestionale writes are exclusive (one push at a
    time per WebAPI user: the site's write lease); a conto someone else takes meanwhile is skipped on refusal."""

    def __init__(self, client: GestionaleClient):
        self._client = client
        self._next: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, mastro: str) -> int | None:
        """A conto to create the next customer with; None when the mastro is full."""
        with self._lock:
            if mastro not in self._next:
                self._next[mastro] = self._client.highest_conto(mastro) + 1
            conto = self._next[mastro]
            if conto > MAX_CONTO:
                return None
            self._next[mastro] = conto + 1
            return conto

    def taken(self, codice: str) -> None:
        """Someone else holds ``codice``: start again after the highest conto in use."""
        mastro = codice.split(".", 1)[0]
        with self._lock:
            self._next[mastro] = max(self._next.get(mastro, 0), self._client.highest_conto(mastro) + 1)
