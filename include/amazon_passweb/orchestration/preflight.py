"""The account DAG's ``preflight`` parameter: the doctor's checks for one account, as a task."""

from __future__ import annotations

import logging

from airflow.exceptions import AirflowFailException

from amazon_passweb.config import AccountConfig

log = logging.getLogger(__name__)


def preflight(account: AccountConfig) -> None:
    """Log every finding; fail the task (no retry: nothing would change) when anything is wrong."""
    from amazon_passweb.doctor import run_doctor
    from amazon_passweb.gestionale.hook import GestionaleHook

    findings = run_doctor([account], lambda: GestionaleHook().get_client(retry_budget_s=10.0))
    for finding in findings:
        (log.error if finding.level == "problem" else log.info)("preflight: %s", finding)
    if findings.problems:
        raise AirflowFailException(
            f"preflight found {len(findings.problems)} problem(s): "
            + "; ".join(f"{f.subject}: {f.text}" for f in findings.problems)
        )
    log.info("preflight: no problems found")
