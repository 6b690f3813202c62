"""Each use case's sequence of steps, written once, over one open site store.

- one account's import: :class:`AccountImport` (fetch → select → reconcile → create → push →
  read shipments → confirm shipments → report → watermark); its push first applies in the gestionale
  the cancellations Amazon made after import (``importer.cancellations``). The account DAG runs one
  method per task (``orchestration.account_tasks``);
  :meth:`AccountImport.run` runs fetch to push in one process (tests, reliability harness, benchmark);
- partial push of an account's Registrato orders: :meth:`AccountImport.push`;
- shipment confirmation to Amazon: :meth:`AccountImport.read_shipments` then
  :meth:`AccountImport.confirm_shipments`;
- site–gestionale sync: :func:`sync_and_notify`;
- buyer-data purge: :func:`purge`.

Nothing here knows Airflow: results are returned, and what the caller must do about a failure is
in the error's type (``PushStopped``: no retry; ``ImportAlreadyRunning``: try later).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from amazon_passweb.amazon.client import OrdersClient
from amazon_passweb.amazon.models import AmazonOrder
from amazon_passweb.config import AccountConfig, AccountsFile
from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.errors import GestionaleBusy
from amazon_passweb.importer import steps
from amazon_passweb.importer.cancellations import apply_cancellations
from amazon_passweb.importer.notify_run import send_run_report
from amazon_passweb.importer.partial_push import push_registrato
from amazon_passweb.importer.rejected import record_rejected
from amazon_passweb.importer.shipments import (
    ShipmentCounts,
    read_delivery_documents,
    send_pending_shipments,
)
from amazon_passweb.importer.sync import SyncReport, WaitPolicy, run_site_sync
from amazon_passweb.importer.window import Window
from amazon_passweb.importer.write_lease import exclusive_writes, lease_holder
from amazon_passweb.notify import SendResult, send_email
from amazon_passweb.notify.messages import Kind, message
from amazon_passweb.notify.sync_email import build_sync_email
from amazon_passweb.site.errors import ImportAlreadyRunning
from amazon_passweb.site.purge import PurgeReport, purge_buyer_data
from amazon_passweb.site.records import ImportRunCounts
from amazon_passweb.site.states import RunOutcome, SyncType
from amazon_passweb.site.unit_of_work import SiteStore

log = logging.getLogger(__name__)

IMPORT_STEPS = ("fetch", "select", "reconcile", "create_orders", "push_partial", "read_shipments",
                "confirm_shipments", "report", "advance_watermark")


@dataclass(frozen=True)
class Fetched:
    counts: steps.FetchCounts
    rejected: int  # orders Amazon sent that the client could not read
    rejected_recorded: int  # of those, the ones newly kept in the inbox as rejected

    @property
    def fetched(self) -> int:
        return self.counts.fetched + self.rejected


@dataclass
class ImportCounts:
    """What :meth:`AccountImport.run` did, step by step."""

    fetch: Fetched | None = None
    select: Counter[str] = field(default_factory=Counter)
    reconcile: Counter[str] = field(default_factory=Counter)
    create: Counter[str] = field(default_factory=Counter)
    push: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class AccountImport:
    """One run (``run_id``) of one account's import over an open store. ``import_run_id`` is the
    run's record, once :meth:`start` opened it (the site orders name it)."""

    store: SiteStore
    account: AccountConfig
    run_id: str
    import_run_id: int | None = None

    # -- the run record and the watermark -------------------------------------------------------

    def watermark(self) -> datetime | None:
        with self.store.unit_of_work(read_only=True) as uow:
            return uow.accounts.watermark(self.account.id)

    def start(self, window: Window, is_active: Callable[[str | None], bool]) -> AccountImport:
        """Open the run record. A retry of this same run takes over its own open record; a record
        left open by a run that is no longer active (a killed worker) is closed as abandoned. A
        record of a run still active (``is_active(run_id)``) means another import is under way:
        ``ImportAlreadyRunning``."""
        account, run_id = self.account, self.run_id
        with self.store.unit_of_work() as uow:
            try:
                record_id = uow.imports.start(account.id, run_id=run_id, window_start=window.start,
                                              window_end=window.end)
            except ImportAlreadyRunning:
                running = [r for r in uow.imports.recent(account.id, limit=10) if r.outcome is RunOutcome.RUNNING]
                own = [r.id for r in running if r.run_id == run_id]
                if own:
                    record_id = own[0]
                else:
                    if any(is_active(r.run_id) for r in running):
                        raise ImportAlreadyRunning(account.id) from None
                    for record in running:
                        log.warning("closing the import of run %s: it no longer runs", record.run_id)
                        uow.imports.finish(record.id, RunOutcome.ABANDONED, record.counts,
                                           message=message(Kind.IMPORT_ABANDONED, run_id=record.run_id).text)
                    record_id = uow.imports.start(account.id, run_id=run_id, window_start=window.start,
                                                  window_end=window.end)
        return AccountImport(self.store, account, run_id, record_id)

    def fail(self, reason: str) -> None:
        """Close the run record as failed (the fetch could not read Amazon)."""
        with self.store.unit_of_work() as uow:
            record = uow.imports.get(self.import_run_id)
            uow.imports.finish(self.import_run_id, RunOutcome.FAILED, record.counts, message=reason[:2000])

    def finish(self, counts: ImportRunCounts, watermark_after: datetime | None, *, push_error: str | None = None,
               email_status: str | None = None) -> datetime | None:
        """Close the run record and move the watermark to ``watermark_after`` (never back);
        returns the watermark now stored.

        A failed push does not hold the watermark back: the watermark says how far Amazon was read
        into the site, and every order read is already there. Orders the push did not carry stay
        Registrato, and the next push takes every Registrato order of the account, whatever window
        brought it. The run is then closed as failed, naming why."""
        with self.store.unit_of_work() as uow:
            before = uow.accounts.watermark(self.account.id)
            stored = uow.accounts.advance_watermark(self.account.id, watermark_after) if watermark_after else before
            if self.import_run_id:
                outcome = (RunOutcome.FAILED if push_error else RunOutcome.PARTIAL if counts.failed
                           else RunOutcome.SUCCESS)
                uow.imports.finish(self.import_run_id, outcome, counts,
                                   message="; ".join(filter(None, (push_error, email_status))))
        log.info("watermark of %s: %s → %s", self.account.id, before, stored)
        return stored

    # -- the steps ------------------------------------------------------------------------------

    def fetch(self, pages: Iterable[list[AmazonOrder]], rejected: list | None = None) -> Fetched:
        """Every page into the inbox; ``rejected`` is the list the client fills, as the pages are
        read, with the orders it could not read: they go to the inbox as rejected afterwards."""
        counts = steps.fetch_into_inbox(self.store, pages, self.account, self.run_id)
        recorded = record_rejected(self.store, self.account, rejected, self.run_id) if rejected else 0
        return Fetched(counts, len(rejected or ()), recorded)

    def select(self) -> Counter[str]:
        return steps.select_by_status(self.store, self.account, self.run_id)

    def reconcile(self) -> Counter[str]:
        return steps.reconcile_selected(self.store, self.account, self.run_id)

    def create(self) -> Counter[str]:
        """The new site orders; then, if the account now has a placeholder customer, its waiting
        incomplete AFN orders go to it (so the push that follows carries them)."""
        created = steps.create_site_orders(self.store, self.account, self.run_id, self.import_run_id)
        if self.import_run_id:  # the run's whole count: an earlier, killed try of this task committed some
            with self.store.unit_of_work() as uow:
                created["created"] = sum(uow.orders.created_by_import(self.import_run_id).values())
        released = steps.release_incomplete_afn(self.store, self.account, self.run_id)
        if released:
            created["afn_released"] = released
        return created

    def push(self, client: GestionaleClient) -> Counter[str]:
        """The cancellations Amazon made after import, applied in the gestionale, then the partial
        push, both holding the WebAPI user's write lease: raises ``PushStopped`` when the gestionale
        refuses the whole push. Another push holding the lease for the whole wait defers this one:
        nothing is sent, ``busy`` is 1, and the orders stay Registrato for the next run."""
        try:
            with exclusive_writes(self.store, client, lease_holder(self.run_id, "push")):
                cancelled = apply_cancellations(self.store, client, self.account, self.run_id)
                pushed = push_registrato(self.store, client, self.account, self.run_id)
        except GestionaleBusy as busy:
            log.warning("push of %s deferred to the next run: %s", self.account.id, busy)
            return Counter(busy=1)
        pushed.update({f"cancellations_{name}": count for name, count in cancelled.items()})
        return pushed

    def read_shipments(self, gestionale: GestionaleClient | None) -> ShipmentCounts:
        """The gestionale's delivery documents of the account's orders become shipments (without
        ``gestionale``: nothing is read, what earlier runs read is still sent)."""
        return read_delivery_documents(self.store, gestionale, self.account, self.run_id)

    def confirm_shipments(self, amazon: OrdersClient, read: ShipmentCounts | None = None) -> ShipmentCounts:
        """Every pending shipment confirmed to Amazon; ``read``: :meth:`read_shipments`' counts, completed."""
        return send_pending_shipments(self.store, amazon, self.account, self.run_id, read)

    def ship(self, gestionale: GestionaleClient | None, amazon: OrdersClient) -> ShipmentCounts:
        """Both shipment steps in this process (tests, reliability harness)."""
        return self.confirm_shipments(amazon, self.read_shipments(gestionale))

    def report(self, window: Window, watermark_before: datetime | None, watermark_after: datetime | None,
               fetched: int, *, conn_id: str | None, notes: tuple[str, ...] = (),
               shipments: dict | None = None) -> dict:
        return send_run_report(self.store, self.account, self.run_id, window, watermark_before, watermark_after,
                               fetched, conn_id=conn_id, notes=notes, shipments=shipments)

    def run(self, pages: Iterable[list[AmazonOrder]], client: GestionaleClient | None = None, *,
            rejected: list | None = None, on_step: Callable[[str], None] | None = None) -> ImportCounts:
        """Fetch to push in this process, in the account DAG's order (no push without ``client``).
        ``on_step(name)`` is called after each step (a benchmark times them)."""
        done = on_step or (lambda name: None)
        counts = ImportCounts(fetch=self.fetch(pages, rejected))
        done("fetch")
        counts.select = self.select()
        done("select")
        counts.reconcile = self.reconcile()
        done("reconcile")
        counts.create = self.create()
        done("create_orders")
        if client is not None:
            counts.push = self.push(client)
            done("push_partial")
        return counts


# -- the site–gestionale sync ---------------------------------------------------------------------


def sync_and_notify(store: SiteStore, client: GestionaleClient, accounts: AccountsFile, sync_type: SyncType,
                    run_id: str, failed: dict[str, str], *, wait: WaitPolicy | None = None,
                    is_active: Callable[[str | None], bool] | None = None) -> tuple[SyncReport, SendResult]:
    """Run the sync and email its report (or its refusal); a failed email never fails the sync.
    ``is_active``: asks the scheduler whether a sync that left its run open still runs."""
    report = run_site_sync(store, client, accounts, sync_type, run_id, failed, wait=wait, is_active=is_active)
    log.info("%s; quota %s: %d used, %d available", report.message, f"{report.quota.month:%m/%Y}",
             report.quota.used, report.quota.available)
    email = send_email(build_sync_email(report), report_recipients(accounts), conn_id=accounts.smtp_conn_id)
    log.info("sync report email: %s%s", email.status.value, f" ({email.reason})" if email.reason else "")
    return report, email


def report_recipients(accounts: AccountsFile) -> list[str]:
    """Everyone who receives an account's report or notices: the sync concerns all accounts."""
    recipients: dict[str, None] = {}
    for account in accounts.accounts:
        for address in [*account.notification_emails, *account.admin_emails]:
            recipients.setdefault(address, None)
    return list(recipients)


# -- the buyer-data purge ------------------------------------------------------------------------


def purge(store: SiteStore, older_than_days: int) -> PurgeReport:
    """Erase what is past retention (``site.purge``: from each order's recorded end of life, and
    from never imported inbox entries' last update); the counts (numbers only) go to the log."""
    report = purge_buyer_data(store, older_than_days=older_than_days)
    log.info("%d orders past %d days after delivery or cancellation: buyer data erased from %d orders, "
             "%d inbox payloads, %d addresses, %d customers", report.orders, older_than_days, report.orders,
             report.inbox_payloads, report.addresses, report.customers)
    return report
