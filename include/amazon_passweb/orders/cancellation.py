"""What an order that changed on Amazon after import becomes (domain.md §7).

- Amazon cancelled it: not yet in the gestionale (Registrato, Incompleto da Logistica Amazon) → it
  is never sent and becomes Annullato; in the gestionale → its document's rows are annulled, unless
  a delivery document already evades it (shipped or invoiced): then nothing changes by itself and
  the operator handles the return; already Annullato or Rimborsato → nothing more.
- The buyer asked to cancel an order still unshipped: flagged and reported; the merchant decides
  on Amazon, and nothing changes in the gestionale until Amazon cancels it.
"""

from __future__ import annotations

from enum import StrEnum

from amazon_passweb.orders.status import AmazonStatus, OrderState

# Site states of an order not (yet) in the gestionale.
NOT_SENT_STATES = frozenset({OrderState.REGISTRATO, OrderState.INCOMPLETO_AFN})
# Site states of an order whose life is over: nothing more to cancel or to ask.
CLOSED_STATES = frozenset({OrderState.ANNULLATO, OrderState.RIMBORSATO})
# Amazon statuses in which a buyer's request to cancel is still the merchant's to decide.
REQUESTABLE_STATUSES = frozenset({AmazonStatus.PENDING, AmazonStatus.PENDING_AVAILABILITY, AmazonStatus.UNSHIPPED})


class AmazonCancel(StrEnum):
    NOTHING = "nothing"  # already closed
    NOT_SENT = "not_sent"  # Annullato at once, never sent to the gestionale
    ANNUL_DOCUMENT = "annul_document"  # annul the document's rows, unless a delivery document evades it


def on_amazon_cancel(state: OrderState) -> AmazonCancel:
    if state in CLOSED_STATES:
        return AmazonCancel.NOTHING
    if state in NOT_SENT_STATES:
        return AmazonCancel.NOT_SENT
    return AmazonCancel.ANNUL_DOCUMENT


def buyer_request_open(status: AmazonStatus, state: OrderState) -> bool:
    """A buyer's request to flag: the order is unshipped on Amazon and still alive on the site."""
    return status in REQUESTABLE_STATUSES and state not in CLOSED_STATES
