"""The site–gestionale sync report email (Italian, text + HTML): outcome, quota, one line per account.

The report comes from the importer's sync; this module reads it through the small protocols
below (what the email prints), so ``notify/`` stays free of the importer, the site store and
Airflow. Statuses and sync types are read by their string values.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from amazon_passweb.notify.message import EmailContent
from amazon_passweb.notify.render import render
from amazon_passweb.notify.sanitize import clean_text

TYPE_LABEL = {"changed": "per variati", "total": "totale", "partial": "parziale"}
STATUS_LABEL = {
    "completed": "completata",
    "failed": "NON RIUSCITA",
    "quota_used_up": "RIFIUTATA (quota mensile esaurita)",
    "busy": "RIFIUTATA (altra sincronizzazione in corso)",
}


class SyncAccount(Protocol):
    @property
    def account_id(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def import_failure(self) -> str | None: ...
    @property
    def pushed(self) -> int: ...
    @property
    def failed(self) -> int: ...


class SyncQuota(Protocol):
    @property
    def month(self) -> date: ...
    @property
    def quota(self) -> int: ...
    @property
    def used(self) -> int: ...
    @property
    def available(self) -> int: ...


class SyncOutcome(Protocol):
    @property
    def sync_type(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def run_id(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def quota(self) -> SyncQuota: ...
    @property
    def articles(self) -> int: ...
    @property
    def accounts(self) -> Sequence[SyncAccount]: ...
    @property
    def errors(self) -> Sequence[str]: ...


def build_sync_email(report: SyncOutcome) -> EmailContent:
    subject = _subject(report)
    view = {"lines": _lines(report), "accounts": [_account(account) for account in report.accounts]}
    return EmailContent(
        subject=subject,
        text=render("sync.txt", view=view, subject=subject),
        html=render("sync.html", view=view, subject=subject),
    )


def _subject(report: SyncOutcome) -> str:
    subject = f"Sincronizzazione {TYPE_LABEL[report.sync_type]} sito–gestionale: {STATUS_LABEL[report.status]}"
    failed_imports = [account.account_id for account in report.accounts if account.import_failure]
    if failed_imports:
        subject += f" – importazione Amazon non riuscita: {', '.join(failed_imports)}"
    return subject


def _lines(report: SyncOutcome) -> list[str]:
    """The paragraphs before the accounts, each one line of cleaned text."""
    quota = report.quota
    lines = [
        clean_text(report.message),
        f"Id esecuzione: {clean_text(report.run_id)}",
        f"Quota sincronizzazioni {quota.month:%m/%Y}: {quota.used} usate su {quota.quota}, "
        f"{quota.available} disponibili (le sincronizzazioni parziali non sono conteggiate).",
    ]
    if report.status == "completed":
        lines.append(f"Articoli copiati dal gestionale: {report.articles}.")
    if report.status == "quota_used_up":
        lines.append(
            "Gli ordini Registrato sono stati inviati al gestionale con una sincronizzazione "
            "parziale, non conteggiata."
        )
    if report.status == "busy":
        lines.append("La sincronizzazione in corso invia gli ordini Registrato al gestionale.")
    return lines + [clean_text(error) for error in report.errors]


def _account(account: SyncAccount) -> dict:
    return {
        "account_id": clean_text(account.account_id),
        "description": clean_text(account.description),
        "import_failure": clean_text(account.import_failure),
        "pushed": account.pushed,
        "failed": account.failed,
    }
