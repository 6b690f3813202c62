"""Task bodies of the account DAG: read the Airflow context, open the site store, run one step of
``importer.pipeline.AccountImport``, and turn its result into an Airflow outcome.

Each function takes the previous task's small summary (XCom: ids, window, counts; never order data
or credentials) and returns it extended with its own counts. Each task reads the accounts file
once and opens one site store, disposed when the task ends; the schema is the deployment's
(``python -m amazon_passweb.site upgrade``), never migrated by a task.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from amazon_passweb.amazon.errors import AuthenticationError, SpApiError
from amazon_passweb.amazon.hook import SpApiHook
from amazon_passweb.config import AccountConfig, AccountsFile, load_accounts
from amazon_passweb.importer.busy import ImportBusy
from amazon_passweb.importer.pipeline import AccountImport, Fetched
from amazon_passweb.importer.steps import window_summary
from amazon_passweb.importer.window import (
    RunKind,
    Window,
    compute_window,
    next_watermark,
    parse_requested_start,
)
from amazon_passweb.notify.messages import Kind, message
from amazon_passweb.orchestration.airflow_runs import run_is_active
from amazon_passweb.site.errors import ImportAlreadyRunning
from amazon_passweb.site.records import ImportRunCounts
from amazon_passweb.site.unit_of_work import SiteStore, open_site_store

log = logging.getLogger(__name__)

PUSH_FAILURE_KEY = "push_failure"
PUSH_STOPPED_KEY = "push_stopped"  # the gestionale refused credentials or settings: no more logins this run


def _context() -> Any:
    from airflow.sdk import get_current_context

    return get_current_context()


def _store() -> SiteStore:
    return open_site_store()


@contextmanager
def _task_store() -> Iterator[SiteStore]:
    """The task's one site store, its connections closed when the task ends."""
    store = _store()
    try:
        yield store
    finally:
        store.dispose()


def _accounts() -> AccountsFile:
    return load_accounts()


def _import(store: SiteStore, account: AccountConfig, summary: dict) -> AccountImport:
    return AccountImport(store, account, summary["run_id"], summary.get("import_run_id"))


def run_kind(context: Any) -> RunKind:
    dag_run = context["dag_run"]
    run_type = str(getattr(dag_run, "run_type", "manual")).lower()
    conf = getattr(dag_run, "conf", None) or {}
    if "backfill" in run_type:
        return RunKind.BACKFILL
    if "asset_triggered" in run_type:  # the account's SQS queue delivered notifications
        return RunKind.EVENT
    if conf.get("trigger") == "pre-sync":
        return RunKind.PRE_SYNC
    if "scheduled" in run_type:
        return RunKind.SCHEDULED
    return RunKind.MANUAL


def _window(summary: dict) -> Window:
    start, end = (datetime.fromisoformat(summary[key]) for key in ("window_start", "window_end"))
    return Window(start, end, RunKind(summary["kind"]))


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def amazon_refused(error: BaseException) -> bool:
    """Amazon refused the account's read itself: Login with Amazon refused the app's credentials, or the
    order search answered 403 (the app not authorized by the seller, or a marketplace of the account the
    seller is not registered in). An expired token is renewed by the client and is not this."""
    return isinstance(error, AuthenticationError) or (type(error) is SpApiError and error.status == 403)


def fetch(account_id: str) -> dict:
    context = _context()
    accounts = _accounts()
    account = accounts.account(account_id)
    run_id = context["run_id"]
    params = context.get("params") or {}
    kind = run_kind(context)
    with _task_store() as store:
        run = AccountImport(store, account, run_id)
        watermark = run.watermark()
        interval = (context.get("data_interval_start"), context.get("data_interval_end"))
        window = compute_window(
            kind,
            datetime.now(UTC),
            watermark,
            requested_start=parse_requested_start(params.get("window_start")),
            interval=interval if kind is RunKind.BACKFILL else None,
        )
        log.info("account %s, %s run %s: reading orders updated %s .. %s (watermark %s)",
                 account.id, kind.value, run_id, window.start, window.end, watermark)
        summary = {**window_summary(window), "run_id": run_id, "dry_run": bool(params.get("dry_run")),
                   "watermark_before": watermark.isoformat() if watermark else None}
        if kind is RunKind.EVENT:
            return _fetch_notified(store, account, run, window, summary, context)
        if summary["dry_run"]:
            from amazon_passweb.importer.dry_run import plan_and_report

            with SpApiHook.client_for_account(account) as client:
                return {**summary, **plan_and_report(store, account, window, run_id, watermark, client,
                                                     conn_id=accounts.smtp_conn_id)}

        try:
            run = run.start(window, run_is_active(context["ti"], account.dag_id))
        except ImportAlreadyRunning:
            ti = context.get("ti")
            raise ImportBusy(account.id, kind, getattr(ti, "try_number", None),
                             getattr(ti, "max_tries", None)) from None
        rejected: list = []
        try:
            with SpApiHook.client_for_account(account) as client:
                pages = client.iter_pages(window.start, window.end, marketplace_ids=account.marketplaces,
                                          on_rejected=rejected.append)
                fetched = run.fetch(pages, rejected)
        except Exception as error:
            log.error("fetch failed: %s", error)
            if not amazon_refused(error):
                run.fail(message(Kind.IMPORT_FETCH_FAILED).text)
                raise  # Amazon unreachable or failing: Airflow retries
            # The same request would be refused again: fail now, without Airflow's retries.
            from airflow.sdk.exceptions import AirflowFailException

            reason = message(Kind.IMPORT_FETCH_REFUSED, marketplaces=", ".join(account.marketplaces)).text
            run.fail(reason)
            raise AirflowFailException(reason) from error
    return _fetched_summary(summary, run, fetched)


def _fetched_summary(summary: dict, run: AccountImport, fetched: Fetched) -> dict:
    return {**summary, "import_run_id": run.import_run_id, "fetched": fetched.fetched, "rejected": fetched.rejected,
            "cancelled_after_import": list(fetched.counts.cancelled_after_import),
            "cancel_requests": list(fetched.counts.cancel_requests)}


def _notified_events(context: Any, account: AccountConfig, consumed: Any) -> list:
    """The asset events this event run consumes: those that triggered it and every later one than the
    last consumed (``consumed``), read through the fetch task's inlet. Airflow's scheduler, holding back
    a run while one is active (``max_active_runs=1``), gives the run it then creates only the events up
    to when the first of them queued; the later ones of that wait start no run of their own, so reading
    only the triggering events would leave the end of a burst to the next scheduled run."""
    from amazon_passweb.importer.notified_orders import events_after
    from amazon_passweb.orchestration.order_change_asset import order_changes_asset

    triggering = [event for events in (context.get("triggering_asset_events") or {}).values() for event in events]
    inlet_events = context.get("inlet_events")
    later = inlet_events[order_changes_asset(account)] if inlet_events is not None else None
    return events_after(triggering, later, consumed)


def _fetch_notified(store: SiteStore, account: AccountConfig, run: AccountImport, window: Window, summary: dict,
                    context: Any) -> dict:
    """An event run's fetch: the orders the notifications named, each read once with getOrder, stored
    through the same inbox path as a search's pages. The window is empty: the watermark stays."""
    from amazon_passweb.importer.notified_orders import (
        NotifiedFetch,
        changes_of,
        latest_by_order,
        newest_asset_event,
        newest_event,
        notified_pages,
    )

    with store.unit_of_work(read_only=True) as uow:
        consumed = uow.notifications.consumed(account.id)
    events = _notified_events(context, account, consumed)
    changes = changes_of([events])
    orders = latest_by_order(changes)
    log.info("account %s, event run %s: %d notification(s) name %d order(s)", account.id, summary["run_id"],
             len(changes), len(orders))
    try:
        run = run.start(window, run_is_active(context["ti"], account.dag_id))
    except ImportAlreadyRunning:
        ti = context.get("ti")
        raise ImportBusy(account.id, RunKind.EVENT, getattr(ti, "try_number", None),
                         getattr(ti, "max_tries", None)) from None
    outcome = NotifiedFetch()
    try:
        with SpApiHook.client_for_account(account) as client:
            fetched = run.fetch(notified_pages(client, orders, outcome), [])
    except Exception as error:
        log.error("fetch failed: %s", error)
        if not amazon_refused(error):
            run.fail(message(Kind.IMPORT_FETCH_FAILED).text)
            raise
        from airflow.sdk.exceptions import AirflowFailException

        reason = message(Kind.IMPORT_FETCH_REFUSED, marketplaces=", ".join(account.marketplaces)).text
        run.fail(reason)
        raise AirflowFailException(reason) from error
    with store.unit_of_work() as uow:
        uow.notifications.record(account.id, received=len(changes), last_event_at=newest_event(changes),
                                 at=datetime.now(UTC), asset_event=newest_asset_event(events))
    return {**_fetched_summary(summary, run, fetched), "notifications": len(changes), "notified": len(orders),
            "notified_missing": len(outcome.missing), "notified_unreadable": len(outcome.unreadable)}


def select(account_id: str, summary: dict) -> dict:
    if summary["dry_run"]:
        return summary
    with _task_store() as store:
        counts = _import(store, _accounts().account(account_id), summary).select()
    return {**summary, "selected": counts["selected"], "skipped": counts["skipped"]}


def reconcile(account_id: str, summary: dict) -> dict:
    if summary["dry_run"]:
        return summary
    with _task_store() as store:
        counts = _import(store, _accounts().account(account_id), summary).reconcile()
    return {**summary, "reconciled": counts["reconciled"], "reconcile_failed": counts["failed"]}


def create_orders(account_id: str, summary: dict) -> dict:
    if summary["dry_run"]:
        return summary
    with _task_store() as store:
        counts = _import(store, _accounts().account(account_id), summary).create()
    return {**summary, "created": counts["created"], "incomplete": counts["incomplete"]}


def push_partial(account_id: str, summary: dict) -> dict:
    if summary["dry_run"] or summary["kind"] == RunKind.PRE_SYNC.value:
        return summary  # before a site–gestionale sync, the sync itself carries the new orders
    from airflow.sdk.exceptions import AirflowFailException

    from amazon_passweb.gestionale.errors import PushStopped
    from amazon_passweb.gestionale.hook import GestionaleHook
    from amazon_passweb.importer.partial_push import gestionale_stop

    ti = _context()["ti"]
    account = _accounts().account(account_id)
    try:
        with _task_store() as store:
            counts = _import(store, account, summary).push(GestionaleHook().get_client())
    except PushStopped as stop:
        # The same settings would be refused again, and each refused login brings the WebAPI user
        # closer to being locked: fail now, no Airflow retry. The report task reads why (text only).
        reason = gestionale_stop(stop).text
        ti.xcom_push(key=PUSH_FAILURE_KEY, value=reason)
        ti.xcom_push(key=PUSH_STOPPED_KEY, value=True)
        raise AirflowFailException(reason) from None
    except Exception:
        ti.xcom_push(key=PUSH_FAILURE_KEY, value=message(Kind.IMPORT_PUSH_ERROR).text)
        raise  # transient (the gestionale unreachable): Airflow retries
    if counts["busy"]:  # another push held the WebAPI user's write lease: the next run sends these orders
        return {**summary, "pushed": 0, "push_failed": 0, "push_busy": True}
    return {**summary, "pushed": counts["pushed"], "push_failed": counts["failed"]}


def read_shipments(account_id: str, summary: dict, *, push_failed: bool = False) -> dict:
    """The gestionale's delivery documents become shipments, in every kind of run. After a push the
    gestionale refused (credentials, settings) nothing is read (each try is one more refused login):
    the shipments read by earlier runs are still confirmed by the next task."""
    if summary["dry_run"]:
        return summary
    account = _accounts().account(account_id)
    if not account.confirm_shipments:
        return {**summary, "shipments_disabled": True}
    from amazon_passweb.gestionale.hook import GestionaleHook

    stopped = push_failed and _context()["ti"].xcom_pull(task_ids="push_partial", key=PUSH_STOPPED_KEY)
    with _task_store() as store:
        counts = _import(store, account, summary).read_shipments(None if stopped else GestionaleHook().get_client())
    return {**summary, **counts.as_summary()}


def confirm_shipments(account_id: str, summary: dict) -> dict:
    """Every pending shipment of the account confirmed to Amazon (``summary``: read_shipments', or the
    orders' when reading failed)."""
    if summary["dry_run"]:
        return summary
    account = _accounts().account(account_id)
    if not account.confirm_shipments:
        return {**summary, "shipments_disabled": True}
    from amazon_passweb.importer.shipments import ShipmentCounts

    with _task_store() as store, SpApiHook.client_for_account(account) as amazon:
        counts = _import(store, account, summary).confirm_shipments(amazon, ShipmentCounts.from_summary(summary))
    return {**summary, **counts.as_summary()}


def report(account_id: str, summary: dict, *, push_failed: bool = False) -> dict:
    """The run's email. ``push_failed``: the push task failed (``summary`` is then create_orders'),
    and the email names why. The watermark the run moves to is computed here, once, from the one
    the fetch read: the email states it and ``advance_watermark`` stores it."""
    if summary["dry_run"]:
        return summary
    notes: tuple[str, ...] = ()
    if push_failed:
        reason = _context()["ti"].xcom_pull(task_ids="push_partial", key=PUSH_FAILURE_KEY)
        notes = (message(Kind.IMPORT_PUSH_FAILED).text, reason or message(Kind.IMPORT_PUSH_ERROR).text)
        summary = {**summary, "push_error": " ".join(notes)}
    elif summary.get("push_busy"):
        notes = (message(Kind.GESTIONALE_BUSY).text,)
    if summary["kind"] == RunKind.EVENT.value:
        notes = (event_note(summary), *notes)
    accounts = _accounts()
    window = _window(summary)
    before = _moment(summary.get("watermark_before"))
    after = next_watermark(window, before)
    with _task_store() as store:
        sent = _import(store, accounts.account(account_id), summary).report(
            window, before, after, summary.get("fetched", 0), conn_id=accounts.smtp_conn_id, notes=notes,
            shipments={k: v for k, v in summary.items() if k.startswith("shipments_")})
    return {**summary, "watermark_after": after.isoformat() if after else None, **sent}


def event_note(summary: dict) -> str:
    """The report's line on what started an event run and which orders it was asked to read."""
    return message(Kind.IMPORT_FROM_NOTIFICATIONS, notifications=summary.get("notifications", 0),
                   orders=summary.get("notified", 0), read=summary.get("fetched", 0),
                   missing=summary.get("notified_missing", 0) + summary.get("notified_unreadable", 0)).text


def advance_watermark(account_id: str, summary: dict) -> dict:
    """Close the run record and move the watermark over what was safely stored; a run whose push
    failed is closed as failed, and the task then fails so that Airflow shows the run as failed too."""
    if summary["dry_run"]:
        return summary
    failed = summary.get("reconcile_failed", 0) + summary.get("push_failed", 0)
    counts = ImportRunCounts(
        fetched=summary.get("fetched", 0),
        selected=summary.get("selected", 0),
        created=summary.get("created", 0),
        pushed=summary.get("pushed", 0),
        failed=failed,
        skipped=summary.get("skipped", 0),
    )
    after = (_moment(summary["watermark_after"]) if "watermark_after" in summary  # the report's
             else next_watermark(_window(summary), _moment(summary.get("watermark_before"))))
    with _task_store() as store:
        stored = _import(store, _accounts().account(account_id), summary).finish(
            counts, after, push_error=summary.get("push_error"), email_status=summary.get("email_status"))
    if summary.get("push_error"):
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(summary["push_error"])
    return {**summary, "watermark_after": stored.isoformat() if stored else None}
