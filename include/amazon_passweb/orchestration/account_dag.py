"""The per-account import DAG: ``amazon_orders__<account>``.

Only wiring lives here. Every task imports its body from
``orchestration.account_tasks`` when it runs, so parsing a hundred accounts stays
cheap, and passes only small values (run id, counts) through XCom: order data
stays in the site database.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import CronDataIntervalTimetable, Param, dag, task

from amazon_passweb.config import AccountConfig
from amazon_passweb.orchestration.order_change_asset import order_changes_asset_name

DOC_MD = """
### Amazon orders → Passweb → gestionale: account `{id}`

{description}

Marketplaces: {marketplaces} · statuses imported: {statuses} · sezionale {series}
· schedule: `{schedule}`

**Trigger (Sincro Ordini)** runs the import now from the account's watermark
("Data Ultima Sincronizzazione Ordini"). Params: *window_start* reads from an
earlier date instead; *dry_run* fetches and plans, writes nothing, and reports
what would happen; *preflight* first checks the configuration against the
gestionale and Amazon (as `python -m amazon_passweb doctor`) and stops on a problem.

Steps: fetch into the inbox → keep the configured statuses → reconcile customers
and addresses → create site orders (Registrato) → partial sync to the gestionale
(Memorizzato; never counted in the monthly quota) → read the gestionale's delivery
documents → confirm their shipments to Amazon (In attesa di spedizione → Spedito) → report email (also when the push
failed, naming why) → advance the watermark. A gestionale that refuses the credentials or
the configuration fails the push at once, without retry (each retry is one more failed login);
so does Amazon refusing the read (the app's credentials, its authorization, a marketplace of the
account the seller is not registered in): the fetch fails at once, nothing is stored.
Only one run of this DAG is active at a time; further runs wait.
{notifications}"""

NOTIFICATIONS_MD = """
**Amazon notifications** (ORDER_CHANGE, queue `{queue}`): each batch of notifications read from
the account's SQS queue (asset `{asset}`) starts a run that imports just the orders they name, read one
by one from Amazon; such a run reads no period and leaves the watermark where it is. The schedule
still reads every order changed since the watermark, so an order whose notification was lost arrives
with the next scheduled run.
"""


def _listened_asset(account: AccountConfig) -> Any:
    """The account's asset with its queue's watcher. The DAG's schedule and the fetch task's inlet must
    be this one object: an inlet declared without the watcher replaces it when Airflow stores the asset."""
    from airflow.sdk import Asset, AssetWatcher

    # imported only for an account that listens: the Amazon provider's SQS trigger brings boto3
    from amazon_passweb.orchestration.order_change_trigger import OrderChangeTrigger

    settings = account.notifications
    trigger = OrderChangeTrigger(settings.queue_url, seller_id=settings.seller_id, aws_conn_id=settings.aws_conn_id,
                                 region_name=settings.region_name)
    return Asset(name=order_changes_asset_name(account),
                 watchers=[AssetWatcher(name=f"sqs__{account.id}", trigger=trigger)])


def _schedule(account: AccountConfig, timezone: str, listened: Any) -> Any:
    """The account's cron, or its notifications, or either of them (whichever comes first)."""
    cron = CronDataIntervalTimetable(account.schedule, timezone=timezone) if account.schedule else None
    if listened is None:
        return cron
    from airflow.sdk import AssetOrTimeSchedule

    return listened if cron is None else AssetOrTimeSchedule(timetable=cron, assets=listened)


def build_account_dag(account: AccountConfig, timezone: str = "Europe/Rome", *, retry_delay_s: int = 60):
    """``retry_delay_s``: the accounts file's ``import_retry_delay_seconds``, the wait before each of
    the two retries of a failed task (a killed task process, an unreachable gestionale, a busy account)."""
    listened = _listened_asset(account) if account.notifications else None
    schedule = _schedule(account, timezone, listened)
    notifications = account.notifications

    @dag(
        dag_id=account.dag_id,
        description=f"Amazon order import: {account.description}",
        schedule=schedule,
        catchup=False,
        max_active_runs=1,
        default_args={"retries": 2, "retry_delay": timedelta(seconds=retry_delay_s)},
        tags=["amazon", "orders", account.id],
        doc_md=DOC_MD.format(
            id=account.id,
            description=account.description,
            marketplaces=", ".join(account.marketplaces),
            statuses=", ".join(s.value for s in account.order_statuses),
            series=account.orders_series,
            schedule=account.schedule or ("Amazon notifications only" if notifications else "manual only"),
            notifications=NOTIFICATIONS_MD.format(queue=notifications.queue_url,
                                                  asset=order_changes_asset_name(account))
            if notifications else "",
        ),
        params={
            "window_start": Param(
                None,
                type=["null", "string"],
                format="date-time",
                description="Read orders updated after this time. Empty: the account's watermark.",
            ),
            "dry_run": Param(False, type="boolean", description="Fetch and plan only; write nothing."),
            "preflight": Param(
                False,
                type="boolean",
                description="First check the configuration against the gestionale and Amazon; stop on a problem.",
            ),
        },
        render_template_as_native_obj=True,
    )
    def account_import():
        # An event run reads its asset's events as an inlet: every batch after the last one consumed, also
        # those Airflow's scheduler leaves without a run of their own (account_tasks.fetch says why).
        @task(inlets=[listened] if listened is not None else None)
        def fetch(params: dict | None = None) -> dict:
            from amazon_passweb.orchestration import account_tasks as tasks

            if params and params.get("preflight"):
                from amazon_passweb.orchestration.preflight import preflight

                preflight(account)
            return tasks.fetch(account.id)

        @task
        def select(fetched: dict) -> dict:
            from amazon_passweb.orchestration import account_tasks as tasks

            return tasks.select(account.id, fetched)

        @task
        def reconcile(selected: dict) -> dict:
            from amazon_passweb.orchestration import account_tasks as tasks

            return tasks.reconcile(account.id, selected)

        @task
        def create_orders(reconciled: dict) -> dict:
            from amazon_passweb.orchestration import account_tasks as tasks

            return tasks.create_orders(account.id, reconciled)

        @task(pool="gestionale_webapi")
        def push_partial(created: dict) -> dict:
            from amazon_passweb.orchestration import account_tasks as tasks

            return tasks.push_partial(account.id, created)

        # Shipments are read and confirmed whatever the push did: orders stored by earlier runs ship
        # meanwhile. Only the reading talks to the gestionale (its pool slot); the confirmations wait
        # on Amazon's rate limits without holding it.
        @task(pool="gestionale_webapi", trigger_rule="all_done_min_one_success")
        def read_shipments(created: dict, pushed: dict | None) -> dict:
            from amazon_passweb.orchestration import account_tasks as tasks

            return tasks.read_shipments(account.id, pushed or created, push_failed=pushed is None)

        @task(trigger_rule="all_done_min_one_success")
        def confirm_shipments(created: dict, read: dict | None) -> dict:
            from amazon_passweb.orchestration import account_tasks as tasks

            return tasks.confirm_shipments(account.id, read or created)

        # The report goes out whatever the push and the shipments did: the orders this run created are
        # in the site and the operator must hear of them and of what failed. It needs the orders created.
        @task(trigger_rule="all_done_min_one_success")
        def report(created: dict, pushed: dict | None, shipped: dict | None) -> dict:
            from amazon_passweb.orchestration import account_tasks as tasks

            return tasks.report(account.id, shipped or pushed or created, push_failed=pushed is None)

        @task
        def advance_watermark(reported: dict) -> dict:
            from amazon_passweb.orchestration import account_tasks as tasks

            return tasks.advance_watermark(account.id, reported)

        created = create_orders(reconcile(select(fetch())))
        pushed = push_partial(created)
        shipped = confirm_shipments(created, read_shipments(created, pushed))
        advance_watermark(report(created, pushed, shipped))

    return account_import()
