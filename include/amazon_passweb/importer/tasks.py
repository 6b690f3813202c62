"""Task bodies of the account DAG: read the Airflow context, open the stores, call a step.

Each function takes the previous task's small summary (XCom: ids, window, counts;
never order data or credentials) and returns it extended with its own counts.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from amazon_passweb.config import AccountConfig, load_accounts
from amazon_passweb.importer import steps
from amazon_passweb.importer.busy import ImportBusy
from amazon_passweb.importer.window import (
    RunKind,
    Window,
    compute_window,
    next_watermark,
    parse_requested_start,
)
from amazon_passweb.notify.messages import Kind, message
from amazon_passweb.site.errors import ImportAlreadyRunning
from amazon_passweb.site.records import ImportRunCounts
from amazon_passweb.site.states import RunOutcome
from amazon_passweb.site.unit_of_work import SiteStore, open_site_store

log = logging.getLogger(__name__)


def _context() -> Any:
    from airflow.sdk import get_current_context

    return get_current_context()


def _account(account_id: str) -> AccountConfig:
    return load_accounts().account(account_id)


def _store() -> SiteStore:
    return open_site_store(upgrade=True)


def run_kind(context: Any) -> RunKind:
    dag_run = context["dag_run"]
    run_type = str(getattr(dag_run, "run_type", "manual")).lower()
    conf = getattr(dag_run, "conf", None) or {}
    if "backfill" in run_type:
        return RunKind.BACKFILL
    if conf.get("trigger") == "pre-sync":
        return RunKind.PRE_SYNC
    if "scheduled" in run_type:
        return RunKind.SCHEDULED
    return RunKind.MANUAL


def _window(summary: dict) -> Window:
    start, end = (datetime.fromisoformat(summary[key]) for key in ("window_start", "window_end"))
    return Window(start, end, RunKind(summary["kind"]))


def fetch(account_id: str) -> dict:
    context = _context()
    account = _account(account_id)
    run_id = context["run_id"]
    params = context.get("params") or {}
    kind = run_kind(context)
    store = _store()
    with store.unit_of_work() as uow:
        watermark = uow.accounts.watermark(account.id)
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
    summary = {**steps.window_summary(window), "run_id": run_id, "dry_run": bool(params.get("dry_run")),
               "watermark_before": watermark.isoformat() if watermark else None}
    if summary["dry_run"]:
        from amazon_passweb.importer.dry_run import plan_and_report

        return {**summary, **plan_and_report(store, account, window, run_id, watermark)}

    try:
        import_run_id = _start_import_run(store, account, run_id, window, _airflow_run_is_active(context, account))
    except ImportAlreadyRunning:
        ti = context.get("ti")
        raise ImportBusy(account.id, kind, getattr(ti, "try_number", None), getattr(ti, "max_tries", None)) from None
    from amazon_passweb.amazon.client import OrdersClient
    from amazon_passweb.importer.rejected import record_rejected

    rejected = []
    try:
        with OrdersClient.for_account(account) as client:
            pages = client.iter_pages(window.start, window.end, marketplace_ids=account.marketplaces,
                                      on_rejected=rejected.append)
            counts = steps.fetch_into_inbox(store, pages, account, run_id)
        record_rejected(store, account, rejected, run_id)
    except Exception as error:
        log.error("fetch failed: %s", error)
        _close_import_run(store, import_run_id, RunOutcome.FAILED, message(Kind.IMPORT_FETCH_FAILED).text)
        raise
    return {**summary, "import_run_id": import_run_id, "fetched": counts.fetched + len(rejected),
            "rejected": len(rejected), "cancelled_after_import": list(counts.cancelled_after_import)}


def _airflow_run_is_active(context: Any, account: AccountConfig):
    """Whether an Airflow run of this account's DAG is still queued or running."""
    def is_active(run_id: str | None) -> bool:
        if not run_id:
            return False
        try:
            state = context["ti"].get_dagrun_state(dag_id=account.dag_id, run_id=run_id)
        except Exception:  # the run is gone from Airflow's database
            return False
        return str(state).lower().rsplit(".", 1)[-1] in ("queued", "running")

    return is_active


def _start_import_run(store: SiteStore, account: AccountConfig, run_id: str, window: Window,
                      is_active) -> int:
    """Open the run record. A retry of this same Airflow run takes over its own open record; a
    record left open by a run that Airflow no longer runs (a killed worker) is closed as abandoned.
    A record of a run that is still active means another import is under way: refused, clearly."""
    with store.unit_of_work() as uow:
        try:
            return uow.imports.start(account.id, run_id=run_id, window_start=window.start,
                                     window_end=window.end)
        except ImportAlreadyRunning:
            running = [r for r in uow.imports.recent(account.id, limit=10) if r.outcome is RunOutcome.RUNNING]
            for record in running:
                if record.run_id == run_id:
                    return record.id
            active = [r.run_id for r in running if is_active(r.run_id)]
            if active:
                raise ImportAlreadyRunning(account.id) from None
            for record in running:
                log.warning("closing the import of run %s: Airflow no longer runs it", record.run_id)
                uow.imports.finish(record.id, RunOutcome.ABANDONED, record.counts,
                                   message=message(Kind.IMPORT_ABANDONED, run_id=record.run_id).text)
            return uow.imports.start(account.id, run_id=run_id, window_start=window.start,
                                     window_end=window.end)


def _close_import_run(store: SiteStore, import_run_id: int, outcome: RunOutcome, message: str) -> None:
    with store.unit_of_work() as uow:
        record = uow.imports.get(import_run_id)
        uow.imports.finish(import_run_id, outcome, record.counts, message=message[:2000])


def select(account_id: str, summary: dict) -> dict:
    if summary["dry_run"]:
        return summary
    counts = steps.select_by_status(_store(), _account(account_id), summary["run_id"])
    return {**summary, "selected": counts["selected"], "skipped": counts["skipped"]}


def reconcile(account_id: str, summary: dict) -> dict:
    if summary["dry_run"]:
        return summary
    counts = steps.reconcile_selected(_store(), _account(account_id), summary["run_id"])
    return {**summary, "reconciled": counts["reconciled"], "reconcile_failed": counts["failed"]}


def create_orders(account_id: str, summary: dict) -> dict:
    if summary["dry_run"]:
        return summary
    counts = steps.create_site_orders(_store(), _account(account_id), summary["run_id"],
                                      summary.get("import_run_id"))
    return {**summary, "created": counts["created"], "incomplete": counts["incomplete"]}


PUSH_FAILURE_KEY = "push_failure"


def push_partial(account_id: str, summary: dict) -> dict:
    if summary["dry_run"] or summary["kind"] == RunKind.PRE_SYNC.value:
        return summary  # before a site–gestionale sync, the sync itself carries the new orders
    from airflow.sdk.exceptions import AirflowFailException

    from amazon_passweb.gestionale.client import GestionaleClient
    from amazon_passweb.gestionale.errors import PushStopped
    from amazon_passweb.importer.partial_push import gestionale_stop, push_registrato

    ti = _context()["ti"]
    try:
        client = GestionaleClient.from_connection()
        counts = push_registrato(_store(), client, _account(account_id), summary["run_id"])
    except PushStopped as stop:
        # The same settings would be refused again, and each refused login brings the WebAPI user
        # closer to being locked: fail now, no Airflow retry. The report task reads why (text only).
        reason = gestionale_stop(stop).text
        ti.xcom_push(key=PUSH_FAILURE_KEY, value=reason)
        raise AirflowFailException(reason) from None
    except Exception:
        ti.xcom_push(key=PUSH_FAILURE_KEY, value=message(Kind.IMPORT_PUSH_ERROR).text)
        raise  # transient (the gestionale unreachable): Airflow retries
    return {**summary, "pushed": counts["pushed"], "push_failed": counts["failed"]}


def report(account_id: str, summary: dict, *, push_failed: bool = False) -> dict:
    """The run's email. ``push_failed``: the push task failed (``summary`` is then create_orders'),
    and the email names why."""
    if summary["dry_run"]:
        return summary
    from amazon_passweb.importer.notify_run import send_run_report

    notes: tuple[str, ...] = ()
    if push_failed:
        reason = _context()["ti"].xcom_pull(task_ids="push_partial", key=PUSH_FAILURE_KEY)
        notes = (message(Kind.IMPORT_PUSH_FAILED).text, reason or message(Kind.IMPORT_PUSH_ERROR).text)
        summary = {**summary, "push_error": " ".join(notes)}
    account = _account(account_id)
    store = _store()
    window = _window(summary)
    with store.unit_of_work() as uow:
        watermark = uow.accounts.watermark(account.id)
    after = next_watermark(window, watermark)
    sent = send_run_report(store, account, summary["run_id"], window, watermark, after,
                           summary.get("fetched", 0), notes=notes)
    return {**summary, "watermark_after": after.isoformat() if after else None, **sent}


def advance_watermark(account_id: str, summary: dict) -> dict:
    """Close the run record and move the watermark over what was safely stored.

    A failed push does not hold the watermark back: the watermark says how far Amazon was read into
    the site, and every order read is already there. Orders the push did not carry stay Registrato,
    and the next push takes every Registrato order of the account, whatever window brought it;
    reading the same period again would bring nothing new. The run is closed as failed, naming why,
    and the task then fails so that Airflow shows the run as failed too."""
    if summary["dry_run"]:
        return summary
    account = _account(account_id)
    window = _window(summary)
    store = _store()
    failed = summary.get("reconcile_failed", 0) + summary.get("push_failed", 0)
    with store.unit_of_work() as uow:
        before = uow.accounts.watermark(account.id)
        target = next_watermark(window, before)
        now_stored = uow.accounts.advance_watermark(account.id, target) if target else before
        if summary.get("import_run_id"):
            uow.imports.finish(
                summary["import_run_id"],
                RunOutcome.FAILED if summary.get("push_error") else
                RunOutcome.PARTIAL if failed else RunOutcome.SUCCESS,
                ImportRunCounts(
                    fetched=summary.get("fetched", 0),
                    selected=summary.get("selected", 0),
                    created=summary.get("created", 0),
                    pushed=summary.get("pushed", 0),
                    failed=failed,
                    skipped=summary.get("skipped", 0),
                ),
                message="; ".join(filter(None, (summary.get("push_error"), summary.get("email_status")))),
            )
    log.info("watermark of %s: %s → %s", account.id, before, now_stored)
    if summary.get("push_error"):
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(summary["push_error"])
    return {**summary, "watermark_after": now_stored.isoformat() if now_stored else None}
