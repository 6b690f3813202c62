"""The sync report email (Italian, text + HTML): outcome, quota, and one line per account."""

from __future__ import annotations

from html import escape

from amazon_passweb.importer.sync import AccountResult, SyncReport, SyncStatus
from amazon_passweb.notify import EmailContent
from amazon_passweb.notify.sanitize import clean_text
from amazon_passweb.site.states import SyncType

TYPE_LABEL = {SyncType.CHANGED: "per variati", SyncType.TOTAL: "totale", SyncType.PARTIAL: "parziale"}
STATUS_LABEL = {
    SyncStatus.COMPLETED: "completata",
    SyncStatus.FAILED: "NON RIUSCITA",
    SyncStatus.QUOTA_USED_UP: "RIFIUTATA (quota mensile esaurita)",
    SyncStatus.BUSY: "RIFIUTATA (altra sincronizzazione in corso)",
}


def build_sync_email(report: SyncReport) -> EmailContent:
    lines = _lines(report)
    return EmailContent(subject=_subject(report), text="\n".join(lines) + "\n", html=_html(report, lines))


def _subject(report: SyncReport) -> str:
    subject = f"Sincronizzazione {TYPE_LABEL[report.sync_type]} sito–gestionale: {STATUS_LABEL[report.status]}"
    if report.failed_imports:
        names = ", ".join(a.account_id for a in report.failed_imports)
        subject += f" – importazione Amazon non riuscita: {names}"
    return subject


def _lines(report: SyncReport) -> list[str]:
    quota = report.quota
    lines = [
        clean_text(report.message),
        f"Id esecuzione: {clean_text(report.run_id)}",
        f"Quota sincronizzazioni {quota.month:%m/%Y}: {quota.used} usate su {quota.quota}, "
        f"{quota.available} disponibili (le sincronizzazioni parziali non sono conteggiate).",
    ]
    if report.status is SyncStatus.COMPLETED:
        lines.append(f"Articoli copiati dal gestionale: {report.articles}.")
    if report.status is SyncStatus.QUOTA_USED_UP:
        lines.append("Gli ordini Registrato sono stati inviati al gestionale con una sincronizzazione "
                     "parziale, non conteggiata.")
    if report.status is SyncStatus.BUSY:
        lines.append("La sincronizzazione in corso invia gli ordini Registrato al gestionale.")
    lines += [clean_text(error) for error in report.errors]
    lines += ["", "Account:"] + [f"- {_account_line(account)}" for account in report.accounts]
    return lines


def _account_line(account: AccountResult) -> str:
    text = f"{clean_text(account.account_id)} ({clean_text(account.description)}): "
    if account.import_failure:
        text += f"importazione Amazon NON RIUSCITA ({clean_text(account.import_failure)}); "
    else:
        text += "importazione Amazon completata; "
    return text + f"{account.pushed} ordini inviati al gestionale, {account.failed} non inviati"


def _html(report: SyncReport, lines: list[str]) -> str:
    head, accounts = lines[: lines.index("")], report.accounts
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in head)
    rows = "".join(
        f"<tr><td>{_html_text(a.account_id)}</td><td>{_html_text(a.description)}</td>"
        f"<td>{'<b>NON RIUSCITA</b>: ' + _html_text(a.import_failure) if a.import_failure else 'completata'}</td>"
        f"<td>{a.pushed}</td><td>{a.failed}</td></tr>"
        for a in accounts
    )
    table = ("<table border='1' cellpadding='4'><tr><th>Account</th><th>Descrizione</th>"
             "<th>Importazione Amazon</th><th>Ordini inviati</th><th>Non inviati</th></tr>"
             f"{rows}</table>")
    return f'<!DOCTYPE html><html lang="it"><head><meta charset="utf-8"></head><body>{paragraphs}{table}</body></html>'


def _html_text(value: str) -> str:
    return escape(clean_text(value))
