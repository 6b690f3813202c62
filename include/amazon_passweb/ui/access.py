"""Which accounts a user sees and changes: Airflow's permissions on each account's import DAG.

An account's data (its card, runs, orders, their errors and cancellations, AFN completion, SKU
mappings) is shown only to a user who may read its DAG ``amazon_orders__<id>``; a change also
needs the permission to edit that DAG. Lists leave the other accounts out silently, and their
counts with them. A URL or form naming an account the user may not read is refused with 403
before anything of the account is looked up, so the answer says nothing about whether the
account or one of its orders exists; the reason names the DAG whose permission to ask for. An id
missing from the accounts file answers 404 only to a user who sees every account anyway (an
administrator's typo), 403 to everyone else, for the same reason.
"""

from __future__ import annotations

from typing import Any

from amazon_passweb.config import AccountConfig, account_dag_id
from amazon_passweb.site.articles import ALL_ACCOUNTS
from amazon_passweb.ui.refusals import Refused
from amazon_passweb.ui.services import UiServices

SHOWN_ID_LENGTH = 40  # an id typed in a URL, as a reason quotes it


def _shown(account_id: str) -> str:
    return (account_id or "")[:SHOWN_ID_LENGTH]


class NotAllowed(Refused):
    """The user lacks the Airflow permission on the account's DAG (403)."""

    def __init__(self, message: str) -> None:
        super().__init__(403, message)


def read_refused(account_id: str) -> NotAllowed:
    return NotAllowed(f"Non hai il permesso di vedere l'account {_shown(account_id)}: serve il permesso di lettura "
                      f"sul DAG {account_dag_id(_shown(account_id))} in Airflow. Chiedilo a un amministratore "
                      "di Airflow.")


def edit_refused(account_id: str) -> NotAllowed:
    return NotAllowed(f"Non hai il permesso di modificare l'account {_shown(account_id)}: serve il permesso di "
                      f"modifica sul DAG {account_dag_id(_shown(account_id))} in Airflow. Chiedilo a un "
                      "amministratore di Airflow.")


class UnknownAccount(Refused):
    """The id is not in the accounts file, told to a user who sees every account (404)."""

    def __init__(self, account_id: str) -> None:
        super().__init__(404, f"L'account {_shown(account_id)} non è nel file degli account.")


ALL_ACCOUNTS_REFUSED = NotAllowed(
    "Non hai il permesso di modificare gli articoli di tutti gli account (*): serve il permesso di modifica "
    "sul DAG di ogni account in Airflow.")


def readable_accounts(services: UiServices, user: Any) -> list[AccountConfig]:
    """The accounts of the file whose DAG the user may read, in the file's order."""
    accounts = services.accounts().accounts
    readable = services.airflow.readable_dag_ids(user, {a.dag_id for a in accounts})
    return [a for a in accounts if a.dag_id in readable]


def account_for(services: UiServices, user: Any, account_id: str, *, change: bool = False) -> AccountConfig:
    """The account named in a request, once the user may read it (and edit it, for a change)."""
    account_id = account_id or ""
    accounts = services.accounts().accounts
    account = next((a for a in accounts if a.id == account_id), None)
    if account is None:
        # 404 only to whom sees every account: to anyone else "absent" would tell "present" apart.
        everything = {a.dag_id for a in accounts}
        if services.airflow.readable_dag_ids(user, everything) == everything:
            raise UnknownAccount(account_id)
        raise read_refused(account_id)
    if not services.airflow.readable_dag_ids(user, {account.dag_id}):
        raise read_refused(account_id)
    if change and not services.airflow.may_edit(user, account.dag_id):
        raise edit_refused(account.id)
    return account


def may_change_all(services: UiServices, user: Any) -> bool:
    """What ``*`` (every account) needs for a change: reading and editing every account's DAG."""
    accounts = services.accounts().accounts
    dag_ids = {a.dag_id for a in accounts}
    return (bool(dag_ids) and services.airflow.readable_dag_ids(user, dag_ids) == dag_ids
            and all(services.airflow.may_edit(user, dag_id) for dag_id in dag_ids))


def mappings_account(services: UiServices, user: Any, account_id: str, *, change: bool = False) -> str:
    """The account of an SKU mapping request: one account, or ``*`` (the mappings every account
    shares: shown to whoever sees an account, changed only by who may change them all)."""
    if (account_id or "").strip() != ALL_ACCOUNTS:
        return account_for(services, user, (account_id or "").strip(), change=change).id
    if change and not may_change_all(services, user):
        raise ALL_ACCOUNTS_REFUSED
    if not change and not readable_accounts(services, user):
        raise NotAllowed("Non hai il permesso di vedere nessun account Amazon: serve il permesso di lettura sul "
                         "DAG di almeno un account in Airflow. Chiedilo a un amministratore di Airflow.")
    return ALL_ACCOUNTS
