"""Partial sync: every Registrato order of an account, with its new customer and address, into
the gestionale (→ Memorizzato). Recorded as a partial sync, never counted in the monthly quota.

The gestionale is asked first whether it already has a record (by the Amazon order id
for documents, by a stable key for customers and addresses) before anything is created,
so a push interrupted after the gestionale committed never creates a second copy.

A create whose answer was lost and that a search did not find is not sent again: the order is
parked as *esito incerto* with the time of that POST (``orders.push_uncertain_at``), the operator
reads why, and later pushes search for it first; only once the client's ``uncertain_wait_s`` has
passed with the record still absent may it be created again. Orders of the same customer or address
wait on it too. Every push holds the WebAPI user's write lease (``importer.write_lease``).

A worker killed while a create is in flight leaves no answer to park: so every create is announced
first, a write-ahead intent committed in the same columns before its POST leaves (``_WriteAhead``).
The answer replaces it (stored, or parked) or withdraws it (refused); one left behind by a killed push
is read by the next one exactly as an uncertain create. Orders not yet sent carry none and wait for nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from amazon_passweb.config import AccountConfig
from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.errors import (
    ConfigurationRefused,
    CredentialsRefused,
    DocumentRefused,
    GestionaleBusy,
    GestionaleError,
    GestionaleUnavailable,
    OutcomeUnknown,
    PushStopped,
    UncertainCreate,
    UnexpectedResponse,
    WritesNotExclusive,
)
from amazon_passweb.gestionale.mapping import (
    CustomerInput,
    OrderInput,
    OrderRowInput,
    ShippingAddressInput,
    UnmappableDocument,
)
from amazon_passweb.gestionale.push import OrderPush, Outage, PushPool, PushResult
from amazon_passweb.importer.run_outcomes import PUSH_FAILED, PUSHED
from amazon_passweb.importer.write_lease import exclusive_writes, lease_holder
from amazon_passweb.notify.messages import Kind, OperatorMessage, message
from amazon_passweb.orders.dates import ROME
from amazon_passweb.site.records import AddressRecord, CustomerRecord, OrderRecord
from amazon_passweb.site.states import OrderState, SyncType
from amazon_passweb.site.unit_of_work import SiteStore, UnitOfWork

log = logging.getLogger(__name__)
BATCH = 100


def push_registrato(store: SiteStore, client: GestionaleClient, account: AccountConfig, run_id: str,
                    *, sync_type: SyncType = SyncType.PARTIAL) -> Counter[str]:
    """The partial sync: raises ``GestionaleBusy`` (nothing recorded, nothing sent) when another push held
    the WebAPI user's write lease for the whole wait, ``PushStopped`` when the gestionale stopped it."""
    with exclusive_writes(store, client, lease_holder(run_id, "push")):
        return _push_registrato(store, client, account, run_id, sync_type)


def _push_registrato(store: SiteStore, client: GestionaleClient, account: AccountConfig, run_id: str,
                     sync_type: SyncType) -> Counter[str]:
    with store.unit_of_work() as uow:
        sync_run_id = uow.syncs.start(sync_type, run_id=run_id)
    try:
        outcome = push_account_orders(store, client, account, run_id)
    except PushStopped as stop:
        with store.unit_of_work() as uow:
            uow.syncs.finish(sync_run_id, success=False, message=gestionale_stop(stop).text)
        log.error("push stopped: %s", stop)
        raise
    with store.unit_of_work() as uow:
        uow.syncs.finish(sync_run_id, success=not outcome["failed"],
                         message=push_summary(outcome["pushed"], outcome["failed"]))
    return outcome


def push_summary(pushed: int, failed: int) -> str:
    return message(Kind.PUSH_SUMMARY, pushed=pushed, failed=failed).text


# The gestionale push reports one order's failure as "<error type>: <text>" (gestionale.push); the operator
# reads what that type means for the order, the text stays as its technical detail.
_PUSH_FAILURES = {
    DocumentRefused.__name__: Kind.PUSH_REFUSED,
    GestionaleUnavailable.__name__: Kind.PUSH_UNAVAILABLE,
    OutcomeUnknown.__name__: Kind.PUSH_OUTCOME_UNKNOWN,
    UnexpectedResponse.__name__: Kind.PUSH_UNEXPECTED,
    UnmappableDocument.__name__: Kind.PUSH_MAPPING,
}


def push_failure(error: str | None) -> OperatorMessage:
    error_type = (error or "").split(":", 1)[0].strip()
    return message(_PUSH_FAILURES.get(error_type, Kind.PUSH_FAILED), detail=error)


def gestionale_stop(error: GestionaleError) -> OperatorMessage:
    """Why a whole push or sync stopped, for the operator; the error's text is the detail."""
    if isinstance(error, CredentialsRefused):
        kind = Kind.GESTIONALE_CREDENTIALS
    elif isinstance(error, ConfigurationRefused):
        kind = Kind.GESTIONALE_CONFIGURATION
    elif isinstance(error, GestionaleBusy | WritesNotExclusive):
        kind = Kind.GESTIONALE_BUSY
    elif isinstance(error, GestionaleUnavailable | OutcomeUnknown):
        kind = Kind.GESTIONALE_UNAVAILABLE
    else:
        kind = Kind.GESTIONALE_ERROR
    return message(kind, detail=f"{type(error).__name__}: {error}")


def push_account_orders(store: SiteStore, client: GestionaleClient, account: AccountConfig,
                        run_id: str) -> Counter[str]:
    """Push the account's Registrato orders without opening a sync run: the caller records it
    (the site–gestionale sync records one run for all accounts). Holds the write lease (re-entrant)."""
    with exclusive_writes(store, client, lease_holder(run_id, "push")):
        return _push_account_orders(store, client, account, run_id)


def _push_account_orders(store: SiteStore, client: GestionaleClient, account: AccountConfig,
                         run_id: str) -> Counter[str]:
    """Keeps the gestionale's slots busy from the first order to the last: each result is recorded as soon
    as it comes back, while the others are in flight, and the next page is read before this one drains.

    An order is sent only once every earlier order of this push that may create the same new customer or
    address (``_Waiting.subjects``) has been recorded, and it is read again from the site if one was
    recorded after it was read: so it sees that record's code, parked create or write-ahead intent exactly
    as if it had been read after it, as pages read one after the other see the pages before them, and no
    worker waits on another order's create."""
    outcome: Counter[str] = Counter()
    pages = _Pages(store, account)
    waiting: list[_Waiting] = []  # read, not sent yet, by id
    busy: Counter[tuple[str, int]] = Counter()  # subjects of the orders sent and not recorded yet
    changed: dict[tuple[str, int], int] = {}  # subject -> the count of recorded orders when one of it was recorded
    recorded = 0
    # sent ahead of the workers, so one that finishes takes the next order without waiting for the recording
    ahead = 2 * client.settings.max_concurrency
    with PushPool(client, account, outage=Outage()) as pool:  # one Outage: once unreachable, no page waits again
        while True:
            for entry in list(waiting):
                if len(pool) >= ahead:
                    break
                if any(busy[subject] for subject in entry.subjects):
                    continue  # an order sent before it may be creating that customer or address
                waiting.remove(entry)
                if any(changed.get(subject, 0) > entry.read_at for subject in entry.subjects):
                    entry = entry.read_again(store, recorded)  # its subjects can only shrink: none is busy
                busy.update(entry.subjects)
                pool.submit(entry.push, entry, entry.rates)
            if len(pool) < ahead and len(waiting) < BATCH and not pages.done:  # about one page read ahead
                waiting += pages.read(pool, recorded)
                log.info("gestionale: %d documents stored, %d failed so far", outcome["pushed"], outcome["failed"])
                continue
            if not pool:
                break
            for entry, result in pool.completed():
                _record(store, account, entry.order, result, run_id)
                outcome["pushed" if result.ok else "failed"] += 1
                if result.uncertain is not None:
                    outcome["uncertain"] += 1
                recorded += 1
                busy.subtract(entry.subjects)
                changed.update(dict.fromkeys(entry.subjects, recorded))
    log.info("gestionale: %d documents stored, %d failed", outcome["pushed"], outcome["failed"])
    return outcome


class _Pages:
    """The account's Registrato orders, BATCH at a time by id. Orders that fail stay Registrato: paging
    past them (``after_id``) leaves them for the next push instead of reading them again in this one."""

    def __init__(self, store: SiteStore, account: AccountConfig):
        self._store, self._account = store, account
        self._last_id = 0
        self.done = False

    def read(self, pool: PushPool, recorded: int) -> list[_Waiting]:
        with self._store.unit_of_work(read_only=True) as uow:
            orders = uow.orders.by_state(OrderState.REGISTRATO, account=self._account.id, limit=BATCH,
                                         after_id=self._last_id)
            pushes = _order_pushes(uow, orders)
        if not orders:
            self.done = True
            return []
        self._last_id = orders[-1].id
        rates = pool.exchange_rates(pushes)  # once a page, as the documents of one page always had
        for order, push in zip(orders, pushes, strict=True):
            push.intents = _WriteAhead(self._store, order.id)
        return [_Waiting(order, push, recorded, rates) for order, push in zip(orders, pushes, strict=True)]


@dataclass(frozen=True, eq=False)  # one entry is one order: compared by identity
class _Waiting:
    """An order read from the site and not sent yet, with what to push for it as the site said then."""

    order: OrderRecord
    push: OrderPush
    read_at: int  # how many orders of this push had been recorded when it was read
    rates: dict[int, Decimal]

    @property
    def subjects(self) -> tuple[tuple[str, int], ...]:
        """The customer and shipping address this order may create: those it has no gestionale code for."""
        found = []
        if self.push.customer_code is None and self.order.customer_id:
            found.append(("customer", self.order.customer_id))
        if self.push.shipping_address_id is None and self.order.shipping_address_id:
            found.append(("address", self.order.shipping_address_id))
        return tuple(found)

    def read_again(self, store: SiteStore, recorded: int) -> _Waiting:
        """What to push for it now: an order of the same customer or address was recorded since it was read.
        Its own columns only its own push writes: the order record itself is still the one read."""
        with store.unit_of_work(read_only=True) as uow:
            push = _order_pushes(uow, [self.order])[0]
        push.intents = self.push.intents
        return replace(self, push=push, read_at=recorded)


def _record(store: SiteStore, account: AccountConfig, order: OrderRecord, result: PushResult, run_id: str):
    with store.unit_of_work() as uow:
        customer_id = order.customer_id if result.customer_code else None
        # only the customer's code is read: no buyer data is decrypted to record the push
        if customer_id and uow.customers.gestionale_codes([customer_id]).get(customer_id) is None:
            uow.customers.set_gestionale_code(customer_id, result.customer_code)
            uow.orders.settle_uncertain("customer", customer_id)
        if result.shipping_address_id and order.shipping_address_id:
            address_id = str(result.shipping_address_id)
            uow.customers.set_gestionale_address_id(order.shipping_address_id, address_id)
            uow.orders.settle_uncertain("address", order.shipping_address_id)
        if result.uncertain is not None:
            _park(uow, account, order, result.uncertain, run_id)
        elif result.ok:
            uow.orders.mark_stored(order.id, result.document_key)
            if result.warnings:
                done = message(Kind.PUSHED_SHORTENED, document=result.document_key, count=len(result.warnings),
                               detail="; ".join(result.warnings))
                log.info("order %s stored as %s, fields shortened: %s", order.amazon_order_id,
                         result.document_key, done.detail)
            else:
                done = message(Kind.PUSHED, document=result.document_key)
            uow.inbox.add_history(account.id, order.amazon_order_id, run_id=run_id, outcome=PUSHED,
                                  message=done.text, detail=done.detail)
        else:
            failure = push_failure(result.error)
            log.warning("order %s not stored in the gestionale: %s", order.amazon_order_id, result.error)
            uow.inbox.add_history(account.id, order.amazon_order_id, run_id=run_id, outcome=PUSH_FAILED,
                                  message=failure.text, detail=failure.detail)


class _WriteAhead:
    """One order's write-ahead intents: each committed on its own, before the POST it announces leaves."""

    def __init__(self, store: SiteStore, order_id: int):
        self._store, self._order_id = store, order_id

    def sending(self, target: str, posted_at: datetime) -> None:
        with self._store.unit_of_work() as uow:
            uow.orders.announce_create(self._order_id, target, posted_at)

    def withdrawn(self, target: str, posted_at: datetime) -> None:
        with self._store.unit_of_work() as uow:
            uow.orders.withdraw_create(self._order_id, target, posted_at)


# What an uncertain create was, as the operator reads it after "la creazione".
_UNCERTAIN_WHAT = {"document": "del documento", "customer": "del cliente", "address": "dell'indirizzo di spedizione"}


def _park(uow: UnitOfWork, account: AccountConfig, order: OrderRecord, uncertain: UncertainCreate,
          run_id: str) -> None:
    """The order waits as *esito incerto*: what was uncertain and when that POST was sent, kept on the order."""
    uow.orders.park_uncertain(order.id, uncertain.target, uncertain.posted_at)
    parked = message(Kind.PUSH_UNCERTAIN, what=_UNCERTAIN_WHAT.get(uncertain.target, uncertain.target),
                     until=f"{uncertain.recreate_after.astimezone(ROME):%d/%m/%Y %H:%M}",
                     detail=f"{type(uncertain).__name__}: {uncertain}")
    log.warning("order %s parked with an uncertain %s create: %s", order.amazon_order_id, uncertain.target,
                uncertain)
    uow.inbox.add_history(account.id, order.amazon_order_id, run_id=run_id, outcome=PUSH_FAILED,
                          message=parked.text, detail=parked.detail)


def _order_pushes(uow: UnitOfWork, orders: list[OrderRecord]) -> list[OrderPush]:
    """What to push for a batch of orders: their customers and addresses read in three queries,
    not three per order."""
    customers = uow.customers.many([o.customer_id for o in orders if o.customer_id])
    addresses = uow.customers.addresses_by_id([o.shipping_address_id for o in orders if o.shipping_address_id])
    # a customer not yet in the gestionale is created there with its first site address (_home_address)
    homeless = [c.id for c in customers.values() if not c.gestionale_code]
    first_addresses = {customer_id: found[0] for customer_id, found in uow.customers.addresses_of(homeless).items()
                       if found}
    # uncertain creates of these customers and addresses, by whichever of their orders sent them
    uncertain_customers = uow.orders.uncertain_creates("customer", homeless)
    uncertain_addresses = uow.orders.uncertain_creates("address", [a.id for a in addresses.values()
                                                                   if not a.gestionale_address_id])
    return [
        _uncertain(_order_push(order,
                               customers.get(order.customer_id) if order.customer_id else None,
                               addresses.get(order.shipping_address_id) if order.shipping_address_id else None,
                               first_addresses),
                   order, uncertain_customers, uncertain_addresses)
        for order in orders
    ]


def _uncertain(push: OrderPush, order: OrderRecord, customers: dict[int, datetime],
               addresses: dict[int, datetime]) -> OrderPush:
    """The push told of the uncertain creates it must search for before sending them again."""
    push.uncertain_customer = customers.get(order.customer_id) if order.customer_id else None
    push.uncertain_address = addresses.get(order.shipping_address_id) if order.shipping_address_id else None
    push.uncertain_document = order.push_uncertain_at if order.push_uncertain == "document" else None
    return push


def _order_push(order: OrderRecord, customer: CustomerRecord | None, address: AddressRecord | None,
                first_addresses: dict[int, AddressRecord]) -> OrderPush:
    home = _home_address(customer, first_addresses)
    customer_code = customer.gestionale_code if customer else None
    rows = tuple(  # the note rows too: the site order owns them, the document carries them as stored
        OrderRowInput(kind=row.kind.value, line_no=row.line_no, article_code=row.article_code,
                      description=row.description, quantity=row.quantity,
                      unit_price_gross=row.unit_price_gross, vat_rate=row.vat_rate or "22",
                      vat_code=row.vat_code)
        for row in order.rows
    )
    return OrderPush(
        order=OrderInput(
            amazon_order_id=order.amazon_order_id,
            # in Italian time, as the site order's note: the same calendar day in both
            purchase_date=(order.purchase_date or order.created_at).astimezone(ROME),
            fulfilment_channel=order.fulfillment,
            sigla=order.sigla,  # decided once, at import
            currency=order.currency,
            total_gross=order.total_gross,
            rows=rows,
            customer=_customer_input(customer, home or address) if customer else None,
            # always sent: the gestionale side leaves it out only when the goods go to the customer's own
            # address there (gestionale.push), which it knows better than the site
            shipping_address=_address_input(address) if address else None,
        ),
        customer_code=customer_code,
        # an address already pushed (under the customer's code) is reused by its id, never searched or created again
        shipping_address_id=address.gestionale_address_id if address and customer_code else None,
    )


def _home_address(customer: CustomerRecord | None,
                  first_addresses: dict[int, AddressRecord]) -> AddressRecord | None:
    """For a customer not yet in the gestionale: the address its gestionale record is created with,
    the customer's first site address, whichever of its orders is pushed first. None once the
    customer has a gestionale code: its own address there is the gestionale's."""
    if customer is None or customer.gestionale_code:
        return None
    return first_addresses.get(customer.id)


def _customer_input(customer: CustomerRecord, address: AddressRecord | None) -> CustomerInput:
    return CustomerInput(
        name=customer.name or customer.company or (address.name if address else "") or "",
        is_company=customer.kind.value == "company",
        company=customer.company,
        vat_number=customer.vat_number,
        fiscal_code=customer.fiscal_code,
        email=customer.email,
        phone=customer.phone or (address.phone if address else None),
        address_line1=address.line1 or "" if address else "",
        address_line2=address.line2 if address else None,
        postal_code=address.postal_code or "" if address else "",
        city=address.city or "" if address else "",
        province=address.province if address else None,
        country=(address.country_code or "IT") if address else "IT",
    )


def _address_input(address: AddressRecord) -> ShippingAddressInput:
    return ShippingAddressInput(
        name=address.name or "",
        address_line1=address.line1 or "",
        postal_code=address.postal_code or "",
        city=address.city or "",
        address_line2=address.line2,
        province=address.province,
        country=address.country_code or "IT",
        phone=address.phone,
    )
