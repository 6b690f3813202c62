"""Task body of the sync DAG's ``sync`` task: read the Airflow context, run the sync, email the report.

The task runs once every account import has ended or been given up (trigger rule ``all_done``).
Which imports failed is read from the states of this run's wait tasks: a wait task succeeds only
when its account's run succeeded, so a failed, never-triggered (paused) or late import all show
there; the account DAG's pause flag and its run's state then say which.

A refused sync (quota used up, or another changed/total sync still running) fails the task
without retries after its email: the run list must show that no counted sync happened.
"""

from __future__ import annotations

import logging
from typing import Any

from amazon_passweb.config import AccountsFile, load_accounts
from amazon_passweb.gestionale.hook import GestionaleHook
from amazon_passweb.importer.pipeline import sync_and_notify
from amazon_passweb.importer.sync import SyncReport, SyncStatus
from amazon_passweb.notify import SendResult
from amazon_passweb.notify.messages import Kind, import_outcome, message
from amazon_passweb.orchestration.airflow_runs import run_is_active
from amazon_passweb.orchestration.import_wait import DEFAULT_WAIT_MINUTES
from amazon_passweb.orchestration.task_ids import import_task_id, pre_sync_run_id
from amazon_passweb.site.states import SyncType
from amazon_passweb.site.unit_of_work import open_site_store

log = logging.getLogger(__name__)


def run_sync(context: Any) -> dict:
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    accounts = load_accounts()
    sync_type = SyncType((context.get("params") or {}).get("sync_type") or SyncType.CHANGED.value)
    failed = failed_imports(context, accounts)
    for account_id, reason in failed.items():
        log.warning("account %s: the Amazon import before the sync failed (%s); syncing the others", account_id,
                    reason)
    store = open_site_store()  # the task's one store; the schema is the deployment's
    try:
        report, email = sync_and_notify(store, GestionaleHook().get_client(), accounts, sync_type,
                                        context["run_id"], failed,
                                        is_active=run_is_active(context["ti"], context["ti"].dag_id))
    finally:
        store.dispose()
    if report.status.refused:
        raise AirflowFailException(report.message)
    if report.status is SyncStatus.FAILED:
        raise AirflowException(report.message)
    return summary(report, email)


def failed_imports(context: Any, accounts: AccountsFile) -> dict[str, str]:
    """Account id → why its import before this sync did not succeed: failed, paused, or still not
    ended when the wait gave up."""
    ti = context["ti"]
    task_ids = {account.id: import_task_id(account.id) for account in accounts.importing_accounts}
    states = ti.get_task_states(dag_id=ti.dag_id, task_ids=list(task_ids.values()), run_ids=[ti.run_id])
    states = states.get(ti.run_id, {})
    wait_minutes = (context.get("params") or {}).get("import_wait_minutes") or DEFAULT_WAIT_MINUTES
    failed = {}
    for account in accounts.importing_accounts:
        state = states.get(task_ids[account.id])
        if state == "success":
            continue
        run_id = pre_sync_run_id(ti.run_id, account.id)
        if ti.get_dag(account.dag_id).is_paused:
            failed[account.id] = message(Kind.IMPORT_BEFORE_SYNC_PAUSED, dag_id=account.dag_id).text
        elif _run_state(ti, account.dag_id, run_id) in ("queued", "running", "success"):
            # still running, or ended after the wait gave up (its import task is not a success)
            failed[account.id] = message(Kind.IMPORT_BEFORE_SYNC_LATE, minutes=f"{wait_minutes:g}", run_id=run_id,
                                         dag_id=account.dag_id).text
        else:
            failed[account.id] = message(Kind.IMPORT_BEFORE_SYNC_FAILED, outcome=import_outcome(state),
                                         run_id=run_id, dag_id=account.dag_id).text
    return failed


def _run_state(ti: Any, dag_id: str, run_id: str) -> str | None:
    try:
        return str(ti.get_dagrun_state(dag_id=dag_id, run_id=run_id)).lower().rsplit(".", 1)[-1]
    except Exception:  # never triggered: no such run
        return None


def summary(report: SyncReport, email: SendResult) -> dict:
    """Small XCom value: ids and counts, never order data."""
    return {
        "sync_type": report.sync_type.value,
        "status": report.status.value,
        "sync_run_id": report.sync_run_id,
        "partial_run_id": report.partial_run_id,
        "articles": report.articles,
        "customers": report.customers,
        "table_rows": report.table_rows,
        "first_total": report.first_total,
        "pushed": report.pushed,
        "push_failed": report.push_failed,
        "failed_imports": [a.account_id for a in report.failed_imports],
        "quota_used": report.quota.used,
        "quota_available": report.quota.available,
        "email_status": email.status.value,
    }
