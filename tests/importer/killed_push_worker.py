"""One partial push of it_main in a process of its own, for a test to kill with SIGKILL mid-create.

    python tests/importer/killed_push_worker.py SITE_URL GESTIONALE_BASE_URL RUN_ID CUSTOMER_CODE

The PII key comes from ``SITE_PII_KEY``. One request at a time (``max_concurrency`` 1), so the orders
after the one whose create the stand-in holds are not yet sent when the process dies; a long read
timeout keeps that create in flight; a short write lease frees soon after the process is gone.
"""

from __future__ import annotations

import sys

from amazon_passweb.config import load_accounts
from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.settings import WebApiSettings
from amazon_passweb.importer.partial_push import push_registrato
from amazon_passweb.site.unit_of_work import open_site_store

LEASE_TTL_S = 2.0


def main(site_url: str, base_url: str, run_id: str, customer_code: str) -> None:
    settings = WebApiSettings(base_url=base_url, user="webapi", password="webapi", dominio="demo",  # nosec B106
                              azienda="DEMO", retry_budget_s=5.0, read_timeout_s=30.0, connect_timeout_s=2.0,
                              uncertain_wait_s=60.0, write_lease_ttl_s=LEASE_TTL_S, max_concurrency=1,
                              customer_code=customer_code)
    store = open_site_store(site_url)
    push_registrato(store, GestionaleClient(settings, settle_s=0.6), load_accounts().account("it_main"), run_id)


if __name__ == "__main__":
    main(*sys.argv[1:5])
