"""Partial push benchmark: a real push_registrato of N Registrato orders (each a new buyer: a customer
and a document created per order) from a site database into the gestionale stand-in (its own process).

    python -m bench.partial_push sqlite:////tmp/site.db 500 0
    python -m bench.partial_push postgresql+psycopg2://postgres@127.0.0.1:5432/bench 500 50

Arguments: an empty site database's URL, the number of orders, the stand-in's latency in ms. It times
the push only (the import before it is not counted): e.g. the write-ahead intent committed before every
create POST, run against this tree and against one checked out before it.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import requests

from amazon_passweb.config import load_accounts
from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.settings import WebApiSettings
from amazon_passweb.importer.partial_push import push_registrato
from amazon_passweb.importer.pipeline import AccountImport
from amazon_passweb.site.crypto import generate_key
from bench.gestionale_push import PASSWORD, USER, standin_process
from tests.fixtures.stores import open_seeded_store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "importer"))
from importer_helpers import address, amazon_order, private_buyer  # noqa: E402


def main(url: str, count: int, latency_ms: float) -> float:
    store = open_seeded_store(url, generate_key())
    account = load_accounts().account("it_main")
    orders = [amazon_order(buyer=private_buyer(f"Cliente Bench{n}", f"b{n}@marketplace.amazon.it"),
                           delivery=address(f"Cliente Bench{n}", f"Via Roma {n + 1}", "20121", "Milano",
                                            province="MI"))
              for n in range(count)]
    AccountImport(store, account, "bench-import").run([orders])  # imported, not pushed
    try:
        with tempfile.TemporaryDirectory() as data, standin_process(data) as root:
            settings = WebApiSettings(base_url=f"{root}/webapi/", user=USER, password=PASSWORD, dominio="demo",
                                      azienda="DEMO", max_concurrency=5)
            requests.post(f"{root}/_sandbox/faults", json={"latency_s": latency_ms / 1000},
                          timeout=5).raise_for_status()
            started = time.perf_counter()
            outcome = push_registrato(store, GestionaleClient(settings), account, "bench-push")
            elapsed = time.perf_counter() - started
            stored = requests.get(f"{root}/_sandbox/counts", timeout=5).json()
    finally:
        store.dispose()
    if outcome["pushed"] != count or stored["documenti"] != count:
        raise SystemExit(f"benchmark run broken: {outcome}, {stored['documenti']} documents of {count}")
    return elapsed


if __name__ == "__main__":
    site_url, orders_count, latency = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    seconds = main(site_url, orders_count, latency)
    print(f"{site_url.split(':')[0]} latency={latency:g} ms, {orders_count} orders: {seconds * 1000:.0f} ms")
