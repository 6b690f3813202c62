"""What the operator reads when an import is refused because another one of the account runs.

Airflow counts a backfill's runs apart from the DAG's ``max_active_runs``: a backfill run can start
while a scheduled or manual run of the same account is running, and the other way round. The site
database still lets one import of an account run at a time; the refused task says so in Italian in
its log and failure message, and Airflow retries it (``retries`` of the account DAG).
"""

from __future__ import annotations

from amazon_passweb.importer.window import RunKind
from amazon_passweb.site.errors import ImportAlreadyRunning


class ImportBusy(ImportAlreadyRunning):
    """``ImportAlreadyRunning`` with the Italian explanation the task log and the run's failure show."""

    def __init__(self, account: str, kind: RunKind, try_number: int | None, max_tries: int | None) -> None:
        super().__init__(account)
        self.args = (refusal_message(account, kind, try_number, max_tries),)

    def __str__(self) -> str:
        return self.args[0]


def refusal_message(account: str, kind: RunKind, try_number: int | None, max_tries: int | None) -> str:
    what = "Backfill" if kind is RunKind.BACKFILL else "Import"
    message = (
        f"{what} dell'account {account} non avviato: è già in corso un altro import dello stesso account "
        "(due import di un account non si sovrappongono mai)."
    )
    if try_number and max_tries is not None and try_number <= max_tries:  # Airflow's max_tries = retries
        return f"{message} Airflow ritenterà questo task tra poco (tentativo {try_number} di {max_tries + 1})."
    advice = (
        "Rilancia il backfill con reprocess_behavior «failed» (Run mancanti ed errati) quando l'altro import è finito."
        if kind is RunKind.BACKFILL
        else "Rilancia la run quando l'altro import è finito."
    )
    return f"{message} {advice}"
