"""The site–gestionale sync (*changed* or *total*) as plain functions over the site store and the
gestionale client: articles, customers and accessory tables from the gestionale into the site
(``sync_pull``: all of them for a total sync, those changed since the last successful one for a
changed sync; the site's first sync is always total), then every importing account's Registrato
orders (with their new customers and addresses) into the gestionale, recorded as ONE sync run that
counts in the contract's monthly quota (domain.md §6).

- Only one changed/total sync runs at a time (the site's database decides). A second one waits
  for the first up to ``wait.timeout``, then is refused.
- When the month's quota is used up the sync is refused and not counted.
- A sync refused for the quota still pushes the orders as a *partial* sync (never counted), so
  they are not left waiting for the next counted one. One refused because another is running
  pushes nothing: the running one carries them.
- An account whose Amazon import failed does not stop the sync: the other accounts' orders go
  through, and the report names the failed account.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from amazon_passweb.config import AccountsFile
from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.errors import GestionaleError
from amazon_passweb.importer.article_copy import spesa_codes
from amazon_passweb.importer.partial_push import gestionale_stop, push_account_orders, push_summary
from amazon_passweb.importer.sync_pull import Pulled, pull_from_gestionale
from amazon_passweb.importer.write_lease import exclusive_writes, lease_holder
from amazon_passweb.notify.messages import Kind, message, sync_label
from amazon_passweb.site.errors import SyncAlreadyRunning
from amazon_passweb.site.records import QuotaUsage
from amazon_passweb.site.runs import QUOTA_TIME_ZONE
from amazon_passweb.site.states import OrderState, SyncType
from amazon_passweb.site.unit_of_work import SiteStore

log = logging.getLogger(__name__)


class SyncStatus(StrEnum):
    COMPLETED = "completed"  # counted in the quota
    FAILED = "failed"  # stopped part-way (gestionale unreachable, credentials refused); not counted
    QUOTA_USED_UP = "quota_used_up"  # refused; not counted
    BUSY = "busy"  # another changed/total sync was still running after the wait; not counted

    @property
    def refused(self) -> bool:
        return self in (SyncStatus.QUOTA_USED_UP, SyncStatus.BUSY)


@dataclass(frozen=True)
class WaitPolicy:
    """How long a sync waits for another changed/total one to end before it is refused."""

    timeout: timedelta = timedelta(minutes=10)
    poll_seconds: float = 10.0


@dataclass(frozen=True)
class AccountResult:
    account_id: str
    description: str
    import_failure: str | None = None  # why the Amazon import before the sync failed
    pushed: int = 0
    failed: int = 0


@dataclass(frozen=True)
class SyncReport:
    sync_type: SyncType
    run_id: str
    status: SyncStatus
    message: str
    quota: QuotaUsage
    articles: int = 0
    customers: int = 0  # gestionale customers brought into the site
    table_rows: int = 0  # accessory table rows brought (VAT exemptions, payments, currencies)
    first_total: bool = False  # asked changed, ran total: the site's first sync
    accounts: tuple[AccountResult, ...] = ()
    sync_run_id: int | None = None  # the changed/total run; None when it never started (busy)
    partial_run_id: int | None = None  # the partial push of a refused sync
    errors: tuple[str, ...] = ()

    @property
    def failed_imports(self) -> list[AccountResult]:
        return [a for a in self.accounts if a.import_failure]

    @property
    def pushed(self) -> int:
        return sum(a.pushed for a in self.accounts)

    @property
    def push_failed(self) -> int:
        return sum(a.failed for a in self.accounts)


def run_site_sync(
    store: SiteStore,
    client: GestionaleClient,
    accounts: AccountsFile,
    sync_type: SyncType,
    run_id: str,
    failed_imports: Mapping[str, str] | None = None,
    *,
    wait: WaitPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    is_active: Callable[[str | None], bool] | None = None,
) -> SyncReport:
    """Run one changed/total sync. ``failed_imports`` maps account id → why its import failed.
    ``is_active(run_id)``: whether the scheduler still runs the sync that left a run open; without
    it, an open run is waited for as if it were running."""
    if sync_type is SyncType.PARTIAL:
        raise ValueError("a partial sync is the account import's own push, not run_site_sync")
    failed_imports = dict(failed_imports or {})
    sync_run_id = _start_exclusive(store, sync_type, run_id, wait or WaitPolicy(), sleep, is_active)
    if sync_run_id is None:  # the running one carries the orders: pushing them too could duplicate them
        busy = message(Kind.SYNC_BUSY, sync_type=sync_label(sync_type)).text
        log.warning(busy)
        return SyncReport(sync_type, run_id, SyncStatus.BUSY, busy, _quota(store, accounts),
                          accounts=_import_only(accounts, failed_imports))

    try:
        quota = _quota(store, accounts, sync_run_id)
        if quota.available <= 0:
            return _refuse_over_quota(store, client, accounts, sync_type, run_id, sync_run_id, quota,
                                      failed_imports)
        since = None if sync_type is SyncType.TOTAL else _last_sync_time(store)
        first_total = sync_type is SyncType.CHANGED and since is None
        if first_total:
            log.info("the site's first sync: it brings everything, as a total one")
        pulled = pull_from_gestionale(store, client, spesa_codes(accounts.accounts), since)
        results = _push_all(store, client, accounts, run_id, failed_imports)
    except GestionaleError as error:  # PushStopped included
        reason = gestionale_stop(error)
        stopped = message(Kind.SYNC_INTERRUPTED, sync_type=sync_label(sync_type), reason=reason.text).text
        _finish(store, sync_run_id, success=False, message=stopped)
        log.error("%s (%s)", stopped, reason.detail)
        return SyncReport(sync_type, run_id, SyncStatus.FAILED, stopped, _quota(store, accounts),
                          sync_run_id=sync_run_id, accounts=_import_only(accounts, failed_imports))
    except BaseException:
        _finish(store, sync_run_id, success=False, message=message(Kind.SYNC_ERROR).text)
        raise

    summary = _summary(sync_type, pulled, first_total, results)
    # Counted once it ran to the end: orders the gestionale refused stay Registrato for the next
    # push, and a failed import only means that account brought nothing new.
    _finish(store, sync_run_id, success=True, message=summary, gestionale_time=pulled.gestionale_time)
    log.info(summary)
    return SyncReport(sync_type, run_id, SyncStatus.COMPLETED, summary, _quota(store, accounts),
                      articles=pulled.articles, customers=pulled.customers, table_rows=pulled.table_rows,
                      first_total=first_total, accounts=results, sync_run_id=sync_run_id)


def _start_exclusive(store: SiteStore, sync_type: SyncType, run_id: str, wait: WaitPolicy,
                     sleep: Callable[[float], None],
                     is_active: Callable[[str | None], bool] | None) -> int | None:
    """Open the changed/total run, waiting for one already running; None if it never ends in time.
    A run the scheduler no longer runs (a killed worker) is closed as abandoned at once."""
    deadline = time.monotonic() + wait.timeout.total_seconds()
    while True:
        try:
            with store.unit_of_work() as uow:
                return uow.syncs.start(sync_type, run_id=run_id)
        except SyncAlreadyRunning:
            if is_active is not None and _abandon_dead_runs(store, is_active):
                continue
            if time.monotonic() >= deadline:
                return None
            log.info("a changed or total sync is running: waiting for it to end")
            sleep(wait.poll_seconds)


def _abandon_dead_runs(store: SiteStore, is_active: Callable[[str | None], bool]) -> bool:
    with store.unit_of_work() as uow:
        dead = [run for run in uow.syncs.running_exclusive() if not is_active(run.run_id)]
        for run in dead:
            log.warning("closing the sync of run %s: it no longer runs", run.run_id)
            uow.syncs.abandon(run.id, message(Kind.SYNC_ABANDONED, run_id=run.run_id).text)
    return bool(dead)


def _quota(store: SiteStore, accounts: AccountsFile, sync_run_id: int | None = None) -> QuotaUsage:
    """The quota of the sync run's month (or of now when there is no run)."""
    with store.unit_of_work(read_only=True) as uow:
        moment = uow.syncs.get(sync_run_id).started_at if sync_run_id else datetime.now(UTC)
        return uow.syncs.quota(moment.astimezone(ZoneInfo(QUOTA_TIME_ZONE)).date(), accounts.monthly_sync_quota)


def _last_sync_time(store: SiteStore) -> str | None:
    """When (gestionale clock) the last successful changed/total sync began reading; None: never."""
    with store.unit_of_work(read_only=True) as uow:
        return uow.syncs.last_gestionale_time()


def _finish(store: SiteStore, sync_run_id: int, *, success: bool, message: str,
            gestionale_time: str | None = None) -> None:
    with store.unit_of_work() as uow:
        uow.syncs.finish(sync_run_id, success=success, message=message, gestionale_time=gestionale_time)


def _push_all(store: SiteStore, client: GestionaleClient, accounts: AccountsFile, run_id: str,
              failed_imports: Mapping[str, str]) -> tuple[AccountResult, ...]:
    """Every importing account's Registrato orders, whatever its import did: orders of an account
    whose import failed this time may still be waiting from an earlier run. One write lease for all
    of them (``GestionaleBusy`` when another push kept it for the whole wait), taken only when some
    order waits: a sync with nothing to send never waits behind another push."""
    if not _orders_waiting(store, accounts):
        return _import_only(accounts, failed_imports)
    results = []
    with exclusive_writes(store, client, lease_holder(run_id, "sync")):
        for account in accounts.importing_accounts:
            counts = push_account_orders(store, client, account, run_id)
            results.append(AccountResult(account.id, account.description, failed_imports.get(account.id),
                                         counts["pushed"], counts["failed"]))
    return tuple(results)


def _orders_waiting(store: SiteStore, accounts: AccountsFile) -> bool:
    with store.unit_of_work(read_only=True) as uow:
        return any(uow.orders.by_state(OrderState.REGISTRATO, account=account.id, limit=1)
                   for account in accounts.importing_accounts)


def _import_only(accounts: AccountsFile, failed_imports: Mapping[str, str]) -> tuple[AccountResult, ...]:
    return tuple(AccountResult(a.id, a.description, failed_imports.get(a.id)) for a in accounts.importing_accounts)


def _refuse_over_quota(store: SiteStore, client: GestionaleClient, accounts: AccountsFile, sync_type: SyncType,
                       run_id: str, sync_run_id: int, quota: QuotaUsage,
                       failed_imports: Mapping[str, str]) -> SyncReport:
    """Refuse the counted sync, but push the orders as a partial sync (never counted). The refused
    run stays open until then, so a sync started meanwhile waits instead of pushing the same orders."""
    refused = message(Kind.SYNC_QUOTA_USED_UP, sync_type=sync_label(sync_type), used=quota.used,
                      quota=quota.quota, month=f"{quota.month:%m/%Y}").text
    log.warning(refused)
    results, errors = _import_only(accounts, failed_imports), ()
    with store.unit_of_work() as uow:
        partial_run_id = uow.syncs.start(SyncType.PARTIAL, run_id=run_id)
    try:
        results = _push_all(store, client, accounts, run_id, failed_imports)
    except GestionaleError as error:  # PushStopped included
        reason = gestionale_stop(error)
        _finish(store, partial_run_id, success=False, message=reason.text)
        log.error("partial sync stopped: %s", reason.detail)
        errors = (message(Kind.SYNC_PARTIAL_INTERRUPTED, reason=reason.text).text,)
    except BaseException:
        _finish(store, partial_run_id, success=False, message=message(Kind.SYNC_ERROR).text)
        raise
    else:
        pushed, failed = sum(r.pushed for r in results), sum(r.failed for r in results)
        _finish(store, partial_run_id, success=not failed, message=push_summary(pushed, failed))
    _finish(store, sync_run_id, success=False, message=refused)
    return SyncReport(sync_type, run_id, SyncStatus.QUOTA_USED_UP, refused, _quota(store, accounts),
                      accounts=results, sync_run_id=sync_run_id, partial_run_id=partial_run_id, errors=errors)


def _summary(sync_type: SyncType, pulled: Pulled, first_total: bool, results: tuple[AccountResult, ...]) -> str:
    pushed, failed = sum(r.pushed for r in results), sum(r.failed for r in results)
    text = message(Kind.SYNC_COMPLETED, sync_type=sync_label(sync_type), articles=pulled.articles,
                   customers=pulled.customers, table_rows=pulled.table_rows, pushed=pushed, failed=failed).text
    if first_total:
        text += "; " + message(Kind.SYNC_FIRST_TOTAL).text
    failed_imports = [r.account_id for r in results if r.import_failure]
    if failed_imports:
        text += "; " + message(Kind.SYNC_IMPORTS_FAILED, accounts=", ".join(failed_imports)).text
    return text
