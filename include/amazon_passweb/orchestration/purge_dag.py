"""The buyer-data purge DAG: Amazon's data protection policy, applied every night.

Buyer personal data may be kept no longer than 30 days after delivery
(docs/protocols.md). The purge erases it from the site database once an order is
that far past delivery or cancellation, keeping what tax law needs
(``site.purge``). It runs on its own schedule, apart from the imports: a
missed night is made up by the next one, which erases everything past the
limit.
"""

from __future__ import annotations

from airflow.sdk import CronTriggerTimetable, dag, task

from amazon_passweb.config import AccountsFile

PURGE_DAG_ID = "site_buyer_data_purge"

DOC_MD = """
### Buyer-data purge

Erases buyer personal data (names, emails, phones, addresses, the encrypted raw
Amazon payloads) *buyer_data_retention_days* (accounts file, at most 30) after
each order's life ended, as the flows recorded it: delivered (Amazon's packages
DELIVERED, else the confirmed shipment + *delivery_margin_days*), cancelled
(Annullato), or never imported (inbox entries failed, rejected or skipped: their
last update); then from Amazon-created customers and addresses no live order
uses. Orders, numbers, rows, amounts, VAT and gestionale codes stay (the
gestionale's documents are never touched), and a company keeps its name and
VAT number. Schedule: *purge_schedule* in the accounts file.
"""


def build_purge_dag(accounts: AccountsFile, timezone: str = "Europe/Rome"):
    cron = accounts.purge_schedule
    days = accounts.buyer_data_retention_days

    @dag(
        dag_id=PURGE_DAG_ID,
        description=f"Erase buyer personal data {days} days after an order's life ends (Amazon data protection)",
        schedule=CronTriggerTimetable(cron, timezone=timezone) if cron else None,
        catchup=False,
        max_active_runs=1,
        tags=["amazon", "privacy"],
        doc_md=DOC_MD,
    )
    def site_buyer_data_purge():
        @task(retries=2)
        def purge() -> dict:
            from amazon_passweb.orchestration.purge_tasks import purge as run_purge

            return run_purge(days)

        purge()

    return site_buyer_data_purge()
