"""What each page shows, gathered from the accounts file, the site store and Airflow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from amazon_passweb.config import AccountConfig
from amazon_passweb.notify.formatting import format_when
from amazon_passweb.notify.messages import Kind, message
from amazon_passweb.orders.dates import ROME
from amazon_passweb.site.records import ImportRunRecord, QuotaUsage
from amazon_passweb.ui import queries
from amazon_passweb.ui.actions import import_in_progress
from amazon_passweb.ui.airflow_gateway import BackfillInfo, DagRunInfo, DagState
from amazon_passweb.ui.services import UiServices

RECENT_IMPORTS = 5
RECENT_DAG_RUNS = 3


@dataclass(frozen=True)
class AccountView:
    account: AccountConfig
    dag: DagState | None  # None: the account imports no orders, so it has no DAG
    watermark: queries.WatermarkInfo
    imports: list[ImportRunRecord]
    dag_runs: list[DagRunInfo]
    busy: str | None  # why an import counts as running, if it does
    failed_orders: int
    may_trigger: bool
    may_edit: bool
    backfill: BackfillInfo | None = None  # a backfill Airflow has not completed yet
    backfill_example: str | None = None  # the CLI line recovering the last week; None: not backfillable
    notifications: str = ""  # whether Amazon's notifications start imports, and the last received

    @property
    def active(self) -> bool:
        return self.busy is not None


def account_view(services: UiServices, account: AccountConfig, user: Any) -> AccountView:
    """The card of an account the user may read (``access``)."""
    with services.store().unit_of_work(read_only=True) as uow:
        watermark = queries.watermark_info(uow.session, account.id)
        imports = uow.imports.recent(account.id, limit=RECENT_IMPORTS)
        failed = queries.failed_counts(uow.session, account.id).get(account.id, 0)
        received = uow.notifications.status([account.id]).get(account.id)
    if not account.create_orders:
        return AccountView(account, None, watermark, imports, [], None, failed, False, False,
                           notifications=notifications_line(account, received))
    airflow = services.airflow
    may_edit = airflow.may_edit(user, account.dag_id)  # every change needs it, Sincro Ordini too
    return AccountView(
        account=account,
        dag=airflow.dag_state(account.dag_id),
        watermark=watermark,
        imports=imports,
        dag_runs=airflow.recent_runs(account.dag_id, limit=RECENT_DAG_RUNS),
        busy=import_in_progress(services, account),
        failed_orders=failed,
        may_trigger=may_edit and airflow.may_trigger(user, account.dag_id),
        may_edit=may_edit,
        backfill=airflow.active_backfill(account.dag_id),
        backfill_example=backfill_example(account, services.now()),
        notifications=notifications_line(account, received),
    )


def notifications_line(account: AccountConfig, received: Any) -> str:
    """«Notifiche Amazon: …» for the account's card (``received``: its ``NotificationStatus``, or None)."""
    if account.notifications is None:
        return message(Kind.NOTIFICATIONS_OFF).text
    if received is None:
        return message(Kind.NOTIFICATIONS_WAITING).text
    return message(Kind.NOTIFICATIONS_ON, received_at=format_when(received.last_received_at),
                   total=received.received_total).text


def backfill_example(account: AccountConfig, now: datetime) -> str | None:
    """``airflow backfill create`` recovering the last seven whole days (Italian time) of the account, or
    None when its DAG has no schedule: Airflow backfills only DAGs with a periodic schedule. Airflow
    creates one run per schedule interval *starting* between the two dates, hence the last day's 23:59."""
    if not account.schedule:
        return None
    today = now.astimezone(ROME).date()
    first = datetime.combine(today - timedelta(days=7), time(0, 0), ROME)
    last = datetime.combine(today - timedelta(days=1), time(23, 59), ROME)
    return (f"airflow backfill create --dag-id {account.dag_id} --from-date {first.isoformat()} "
            f"--to-date {last.isoformat()} --max-active-runs 1 --reprocess-behavior none")


def sync_quota(services: UiServices, now: datetime) -> QuotaUsage:
    quota = services.accounts().monthly_sync_quota
    with services.store().unit_of_work(read_only=True) as uow:
        return uow.syncs.quota(now.astimezone(ROME).date(), quota)
