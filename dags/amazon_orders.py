"""Airflow DAGs: one import DAG per Amazon account with create_orders = SI (``amazon_orders__<id>``).

The only I/O at parse time is reading the small accounts file named by
``$AMAZON_ACCOUNTS_FILE``; everything else runs inside the tasks.
"""

from amazon_passweb.config import load_accounts
from amazon_passweb.orchestration.account_dag import build_account_dag

_accounts = load_accounts()
for _account in _accounts.importing_accounts:
    globals()[_account.dag_id] = build_account_dag(_account, retry_delay_s=_accounts.import_retry_delay_seconds)
