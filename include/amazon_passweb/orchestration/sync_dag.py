"""The site–gestionale sync DAG: every account's Amazon import first, then the sync.

Step 1 triggers each importing account's own DAG (so an account never runs two
imports at once: its DAG allows one active run) and waits for all of them in the
triggerer, holding no worker slot, for at most ``import_wait_minutes``: a paused
account DAG is not triggered, a run that does not end in time is left behind.
Step 2 runs once every import has ended or been given up, whatever its outcome: a
failed, paused or late account must not keep the others' orders out of the
gestionale, and the sync report names it.
"""

from __future__ import annotations

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import CronDataIntervalTimetable, Param, dag, task

from amazon_passweb.config import AccountsFile
from amazon_passweb.orchestration.import_wait import DEFAULT_WAIT_MINUTES, WaitForImport
from amazon_passweb.orchestration.task_ids import import_task_id, pre_sync_run_id, trigger_task_id

SYNC_DAG_ID = "site_gestionale_sync"


DOC_MD = """
### Site–gestionale sync

First the Amazon import of every account with *Creare ordini in Passweb* = SI
(each account's own DAG, waited for without holding a worker), then the sync:
articles from the gestionale into the site, every Registrato order with its new
customers and addresses into the gestionale. A *changed* or *total* sync counts
against the contract's monthly quota; when the quota is used up it is refused
with an email (the orders still go through as a partial sync, never counted).
An account whose import failed, whose DAG is paused, or whose import did not end within
*import_wait_minutes* does not stop the sync: the report names it.
Params: *sync_type*: `changed` (default) or `total`; *import_wait_minutes* (default {wait}).
"""


def build_sync_dag(accounts: AccountsFile, timezone: str = "Europe/Rome"):
    cron = accounts.sync_schedule
    schedule = CronDataIntervalTimetable(cron, timezone=timezone) if cron else None

    @dag(
        dag_id=SYNC_DAG_ID,
        description="Amazon imports for every account, then the site–gestionale sync",
        schedule=schedule,
        catchup=False,
        max_active_runs=1,
        tags=["amazon", "sync", "gestionale"],
        doc_md=DOC_MD.format(wait=DEFAULT_WAIT_MINUTES),
        params={
            "sync_type": Param("changed", enum=["changed", "total"], description="Type of sync"),
            "import_wait_minutes": Param(
                DEFAULT_WAIT_MINUTES, type="number", exclusiveMinimum=0,
                description="How long to wait for each account's import before syncing without it.",
            ),
        },
    )
    def site_gestionale_sync():
        imports = []
        for account in accounts.importing_accounts:
            run_id = pre_sync_run_id("{{ run_id }}", account.id)
            trigger = TriggerDagRunOperator(
                task_id=trigger_task_id(account.id),
                trigger_dag_id=account.dag_id,
                trigger_run_id=run_id,
                conf={"trigger": "pre-sync", "sync_run_id": "{{ run_id }}"},
                fail_when_dag_is_paused=True,  # its run would only wait in the queue
            )
            wait = WaitForImport(task_id=import_task_id(account.id), dag_id_to_wait=account.dag_id, run_id=run_id)
            trigger >> wait
            imports.append(wait)

        # Shares the account pushes' one-slot pool: the WebAPI's per-user request limit. That an account's
        # own push never writes beside the sync's is the site's write lease (importer/write_lease.py).
        @task(trigger_rule="all_done", pool="gestionale_webapi")
        def sync(**context) -> dict:
            from amazon_passweb.orchestration import sync_tasks

            return sync_tasks.run_sync(context)

        sync_step = sync()
        for trigger in imports:
            trigger >> sync_step

    return site_gestionale_sync()
