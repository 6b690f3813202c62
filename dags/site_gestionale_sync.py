"""Airflow DAG ``site_gestionale_sync``: every account's Amazon import, then the sync."""

from amazon_passweb.config import load_accounts
from amazon_passweb.orchestration.sync_dag import build_sync_dag

site_gestionale_sync = build_sync_dag(load_accounts())
