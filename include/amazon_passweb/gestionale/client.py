"""The gestionale WebAPI client: reads, searches, and creates that happen exactly once.

Creates are not idempotent in the WebAPI. When a create's answer is lost (timeout, dropped
connection) the client waits ``settle_s``, searches for the record by its external key
(``rif_nr_attuale`` for documents, the mapping's lookup for customers and addresses) and
only creates again if it is not there. ``may_exist=True`` searches before the first attempt
too: use it whenever an earlier run may have sent the record (the importer knows).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from amazon_passweb.gestionale.errors import (
    DocumentRefused,
    GestionaleUnavailable,
    OutcomeUnknown,
    UnexpectedResponse,
)
from amazon_passweb.gestionale.mapping import MappedRecord
from amazon_passweb.gestionale.settings import DEFAULT_CONN_ID, WebApiSettings
from amazon_passweb.gestionale.transport import Transport

log = logging.getLogger(__name__)

CUSTOMERS = "risorse/clienti"
ADDRESSES = "risorse/indirizzi-spedizione"
ARTICLES = "risorse/articoli"
ORDERS = "documenti/ordini-clienti"
MAX_CONTO = 99999


@dataclass(frozen=True)
class Created:
    key: str  # "501.00042", an address id, or "OC+1+541"
    created: bool  # False: it already existed (found by its external key)


def document_key(record: dict) -> str:
    return f"{record['sigla']}+{record['serie']}+{record['numero']}"


def key_from_location(location: str | None) -> str:
    if not location:
        raise UnexpectedResponse("the gestionale answered a create without a Location header")
    return location.rstrip("/").rsplit("/", 1)[-1]


class GestionaleClient:
    """Thread-safe: share one client between the threads of a push."""

    def __init__(self, settings: WebApiSettings, *, transport: Transport | None = None, settle_s: float = 1.0):
        self.settings = settings
        self.transport = transport or Transport(settings)
        self.settle_s = settle_s

    @classmethod
    def from_connection(cls, conn_id: str = DEFAULT_CONN_ID, **overrides) -> GestionaleClient:
        from amazon_passweb.gestionale.hook import GestionaleHook

        return GestionaleHook(conn_id).get_client(**overrides)

    def __repr__(self) -> str:
        return f"GestionaleClient({self.settings.base_url!r}, user={self.settings.user!r})"

    # reads
    def _get(self, path: str) -> dict | None:
        try:
            return self.transport.request("GET", path, idempotent=True).body
        except UnexpectedResponse as error:
            if error.status == 404:
                return None
            raise

    def get_customer(self, codice: str) -> dict | None:
        return self._get(f"{CUSTOMERS}/{codice}")

    def get_shipping_address(self, address_id: int | str) -> dict | None:
        return self._get(f"{ADDRESSES}/{address_id}")

    def get_article(self, codice: str) -> dict | None:
        return self._get(f"{ARTICLES}/{codice}")

    def get_document(self, key: str) -> dict | None:
        return self._get(f"{ORDERS}/{key}")

    def search(
        self, resource: str, filtri: list[dict], *, fields: list[str] | None = None, page_size: int = 100
    ) -> Iterator[dict]:
        """All matches of ``POST {resource}/ricerca``, following ``next`` page by page."""
        body: dict = {"filtri": filtri, "max": page_size}
        if fields:
            body["fields"] = fields
        while True:
            page = self.transport.request("POST", f"{resource}/ricerca", body, idempotent=True).body or {}
            yield from page.get("dati") or []
            if not page.get("next"):
                return
            body = {**body, "next": page["next"]}

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

    def find_customer(self, lookup: list[dict]) -> str | None:
        for record in self.search(CUSTOMERS, lookup, fields=["codice"], page_size=1):
            return record["codice"]
        return None

    def find_shipping_address(self, lookup: list[dict]) -> int | None:
        for record in self.search(ADDRESSES, lookup, fields=["id"], page_size=1):
            return int(record["id"])
        return None

    # creates, exactly once
    def create_document(self, document: MappedRecord, *, may_exist: bool = True) -> Created:
        """Create the order document unless one with its ``rif_nr_attuale`` exists."""
        reference = document.payload["rif_nr_attuale"]
        return self._create_once(ORDERS, document.payload, lambda: self.find_document(reference), may_exist)

    def ensure_shipping_address(self, address: MappedRecord, *, may_exist: bool = True) -> Created:
        return self._create_once(
            ADDRESSES,
            address.payload,
            lambda: self._found(self.find_shipping_address(address.lookup)),
            may_exist,
        )

    def ensure_customer(self, customer: MappedRecord, ledgers: list[str], *, may_exist: bool = True) -> Created:
        """Find the customer by its lookup key, or create it as ``mastro.AUTO`` under the first
        mastro of ``ledgers`` that is not full (a mastro is full once conto 99999 exists)."""
        if may_exist and (found := self.find_customer(customer.lookup)):
            return Created(found, False)
        for mastro in ledgers:
            payload = {"codice": f"{mastro}.AUTO", **customer.payload}
            try:
                return self._create_once(
                    CUSTOMERS, payload, lambda: self.find_customer(customer.lookup), may_exist=False
                )
            except DocumentRefused:
                if self.get_customer(f"{mastro}.{MAX_CONTO:05d}") is None:
                    raise
                log.info("mastro %s is full, moving to the next customer mastro", mastro)
        raise DocumentRefused(f"all customer mastri are full ({', '.join(ledgers)}): add one to the account")

    @staticmethod
    def _found(value: int | None) -> str | None:
        return None if value is None else str(value)

    def _create_once(self, resource: str, payload: dict, find: Callable[[], str | None], may_exist: bool) -> Created:
        if may_exist and (found := find()):
            return Created(found, False)
        for attempt in range(1, self.settings.max_unknown_outcomes + 1):
            try:
                answer = self.transport.request("POST", resource, payload, idempotent=False)
                return Created(key_from_location(answer.location), True)
            except OutcomeUnknown as lost:
                log.warning("%s (attempt %d): searching before trying again", lost, attempt)
                time.sleep(self.settle_s)  # let a create still in progress finish before searching
                if found := find():
                    return Created(found, True)
        raise GestionaleUnavailable(
            f"{self.settings.max_unknown_outcomes} answers to POST {resource} were lost; "
            "nothing was duplicated, try again in a later push"
        )
