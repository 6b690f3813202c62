"""Airflow DAG ``site_buyer_data_purge``: buyer personal data erased once past retention."""

from amazon_passweb.config import load_accounts
from amazon_passweb.orchestration.purge_dag import build_purge_dag

site_buyer_data_purge = build_purge_dag(load_accounts())
