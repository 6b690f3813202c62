"""What each page shows, gathered from the accounts file, the site store and Airflow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from amazon_passweb.config import AccountConfig
from amazon_passweb.site.records import ImportRunRecord, QuotaUsage
from amazon_passweb.ui import queries
from amazon_passweb.ui.actions import import_in_progress
from amazon_passweb.ui.airflow_gateway import DagRunInfo, DagState
from amazon_passweb.ui.formatting import ROME
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

    @property
    def active(self) -> bool:
        return self.busy is not None


def account_view(services: UiServices, account: AccountConfig, user: Any) -> AccountView:
    with services.store().unit_of_work(read_only=True) as uow:
        watermark = queries.watermark_info(uow.session, account.id)
        imports = uow.imports.recent(account.id, limit=RECENT_IMPORTS)
        failed = queries.failed_counts(uow.session, account.id).get(account.id, 0)
    if not account.create_orders:
        return AccountView(account, None, watermark, imports, [], None, failed, False, False)
    airflow = services.airflow
    return AccountView(
        account=account,
        dag=airflow.dag_state(account.dag_id),
        watermark=watermark,
        imports=imports,
        dag_runs=airflow.recent_runs(account.dag_id, limit=RECENT_DAG_RUNS),
        busy=import_in_progress(services, account),
        failed_orders=failed,
        may_trigger=airflow.may_trigger(user, account.dag_id),
        may_edit=airflow.may_edit(user, account.dag_id),
    )


def sync_quota(services: UiServices, now: datetime) -> QuotaUsage:
    quota = services.accounts().monthly_sync_quota
    with services.store().unit_of_work(read_only=True) as uow:
        return uow.syncs.quota(now.astimezone(ROME).date(), quota)
