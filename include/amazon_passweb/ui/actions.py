"""The operator's actions: Sincro Ordini, changing the watermark, retrying a failed order.

Each one either succeeds or raises ``Refused`` with the status code and the
Italian message the page shows as it is. Each one first needs the permissions to read and to
edit the account's DAG (``access``), before anything of the account is looked up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from amazon_passweb.config import AccountConfig
from amazon_passweb.notify.formatting import format_when
from amazon_passweb.ui import queries
from amazon_passweb.ui.access import account_for
from amazon_passweb.ui.airflow_gateway import DagNotAvailable, DagRunActive, DagRunInfo
from amazon_passweb.ui.refusals import Refused
from amazon_passweb.ui.services import UiServices

RETRY_REQUESTED = "retry_requested"  # inbox history outcome; the run report ignores it
FUTURE_TOLERANCE = timedelta(minutes=5)  # clock skew between the browser and the server


class ImportBusy(Refused):
    """Refused because an import of the account is queued or running."""

    def __init__(self, message: str) -> None:
        super().__init__(409, message)


@dataclass(frozen=True)
class WatermarkChange:
    account: str
    current: datetime | None
    new: datetime
    applied: bool

    @property
    def explanation(self) -> str:
        moved_back = self.current is None or self.new < self.current
        effect = ("il prossimo import rileggerà gli ordini aggiornati su Amazon da questa data in poi "
                  "(gli ordini già importati non vengono duplicati)" if moved_back else
                  "il prossimo import non leggerà gli ordini aggiornati prima di questa data")
        before, after = format_when(self.current) if self.current else "non impostata", format_when(self.new)
        return f"Data Ultima Sincronizzazione Ordini di {self.account}: da {before} a {after}; {effect}."


def user_name(user: Any) -> str:
    return str(user.get_name())[:64]


def importing_account(services: UiServices, user: Any, account_id: str) -> AccountConfig:
    """The account a change names, once the user may read and edit its DAG, if it imports orders."""
    account = account_for(services, user, account_id, change=True)
    if not account.create_orders:
        raise Refused(409, f"L'account {account_id} ha «Creare ordini in Passweb» = NO: non importa ordini.")
    return account


def import_in_progress(services: UiServices, account: AccountConfig) -> str | None:
    """Why an import of the account counts as running now, or None."""
    with services.store().unit_of_work(read_only=True) as uow:
        started = queries.running_import(uow.session, account.id, services.now())
    if started is not None:
        return f"un import dell'account {account.id} è in corso dalle {format_when(started)}"
    for run in services.airflow.recent_runs(account.dag_id, limit=3):
        if run.active:
            state = "in coda" if run.state == "queued" else "in corso"
            what = "un backfill (recupero di un periodo) del DAG" if run.run_type == "backfill" else "il DAG"
            return f"{what} {account.dag_id} ha una run {state} ({run.run_id})"
    if services.airflow.active_backfill(account.dag_id) is not None:
        return f"un backfill (recupero di un periodo) del DAG {account.dag_id} non è ancora terminato"
    return None


def sincro_ordini(services: UiServices, account_id: str, user: Any) -> DagRunInfo:
    """Start the account's import DAG now, unless an import of that account is running."""
    account = importing_account(services, user, account_id)
    if not services.airflow.may_trigger(user, account.dag_id):
        raise Refused(403, f"Non hai il permesso di avviare il DAG {account.dag_id}.")
    dag = services.airflow.dag_state(account.dag_id)
    if not dag.exists:
        raise Refused(409, f"Il DAG {account.dag_id} non è (ancora) caricato in Airflow.")
    if dag.paused:  # its run would wait in the queue, blocking every later Sincro Ordini
        raise Refused(409, f"Sincro Ordini non avviato: il DAG {account.dag_id} è in pausa in Airflow. "
                           "Riattivalo e riprova.")
    busy = import_in_progress(services, account)
    if busy:
        raise ImportBusy(f"Sincro Ordini non avviato: {busy}. Attendi che finisca e riprova.")
    try:
        return services.airflow.trigger(account.dag_id, user)
    except DagRunActive as active:
        raise ImportBusy(f"Sincro Ordini non avviato: il DAG {account.dag_id} ha già una run "
                         f"{active.run.state} ({active.run.run_id}). Attendi che finisca e riprova.") from None
    except DagNotAvailable as error:
        raise Refused(409, f"Airflow non può avviare il DAG {account.dag_id}: {error}") from None


def change_watermark(services: UiServices, account_id: str, user: Any, *, new: datetime,
                     expected: datetime | None, confirm: bool) -> WatermarkChange:
    """Preview (``confirm`` false) or apply a new watermark.

    ``expected`` is the value the operator saw: if an import moved it since, the
    change is refused so the operator decides again on the current value. It is
    also refused while an import runs, whose end would move it forward again."""
    account = importing_account(services, user, account_id)
    if new.tzinfo is None:
        raise Refused(422, "La data deve avere un fuso orario.")
    if new > services.now() + FUTURE_TOLERANCE:
        raise Refused(422, "La Data Ultima Sincronizzazione Ordini non può essere nel futuro: "
                           "gli ordini aggiornati fino ad allora non verrebbero mai letti.")
    busy = import_in_progress(services, account)
    if busy:
        raise Refused(409, f"Data non modificata: {busy}, che al termine la sposterebbe di nuovo. "
                           "Attendi che finisca.")
    store = services.store()
    with store.unit_of_work(read_only=not confirm) as uow:
        current = uow.accounts.watermark(account.id)
        if current != expected:
            raise Refused(409, f"La data è cambiata nel frattempo (ora è {format_when(current, seconds=True)}): "
                               "ricarica la pagina e ricontrolla.")
        if confirm:
            uow.accounts.set_watermark(account.id, new, set_by=user_name(user))
    return WatermarkChange(account.id, current, new, applied=confirm)


def retry_order(services: UiServices, account_id: str, amazon_order_id: str, user: Any) -> DagRunInfo:
    """Retry a failed order now: a Sincro Ordini of its account, whose run retries every order
    of the account in error (failed imports are selected again, Registrato orders pushed again)."""
    account = importing_account(services, user, account_id)
    with services.store().unit_of_work(read_only=True) as uow:
        line = queries.find_order(uow.session, account.id, amazon_order_id)
    if line is None:
        raise Refused(404, f"L'ordine Amazon {amazon_order_id} non è tra gli ordini di {account.id}.")
    if line.rejected:
        raise Refused(409, f"L'ordine Amazon {amazon_order_id} è stato rifiutato perché illeggibile: un nuovo "
                           "tentativo non serve, verrà importato quando Amazon ne invierà una versione leggibile.")
    if not line.failed:
        raise Refused(409, f"L'ordine Amazon {amazon_order_id} non è in errore ({line.state_label}).")
    try:
        run = sincro_ordini(services, account.id, user)
    except ImportBusy as busy:
        raise ImportBusy(f"{busy.message} L'ordine verrà comunque ritentato dal prossimo import "
                         "dell'account.") from None
    with services.store().unit_of_work() as uow:
        uow.inbox.add_history(account.id, amazon_order_id, run_id=run.run_id, outcome=RETRY_REQUESTED,
                              message=f"riprova richiesta da {user_name(user)}")
    return run
