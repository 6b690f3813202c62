"""Gestionale push benchmark: documents per second against the bound 5 / latency.

    python -m bench.gestionale_push                    # 2,000 documents at 50 ms and 10 ms
    python -m bench.gestionale_push --documents 500 --latencies 50
    python -m bench.gestionale_push --search-first     # also the "may already exist" path

The stand-in runs as its own process (python -m sandbox.gestionale) and holds every answer
until the injected latency has passed since the request arrived (its own processing
included); the client pushes through push_orders() with its cap of 5 requests in flight,
exactly as the importer does. A new document is one request, so at most 5 can complete per
latency period: the bound is 5 / latency, and what is missing from it is the client's and
the network stack's overhead. With --search-first every
document is searched by its Amazon order id before it is created (two requests, so the bound
halves); the importer uses that path for orders an earlier run may already have sent.
Results are numbers, not pass/fail (target: >= 90% of the bound at 50 ms).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import requests

from amazon_passweb.config import load_accounts
from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.mapping import CustomerInput, OrderInput, OrderRowInput, build_customer
from amazon_passweb.gestionale.push import OrderPush, push_orders
from amazon_passweb.gestionale.settings import WebApiSettings
from amazon_passweb.orders.document import document_sigla, standard_notes

USER, PASSWORD = "bench", "bench-password"
ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def standin_process(data_dir: str):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "include"), str(ROOT)])}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox.gestionale",
            "--port",
            str(port),
            "--data-dir",
            data_dir,
            "--user",
            USER,
            "--password",
            PASSWORD,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{root}/_sandbox/health", timeout=1).raise_for_status()
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the gestionale stand-in did not start") from None
                time.sleep(0.1)
        yield root
    finally:
        process.terminate()
        process.wait(timeout=10)


def orders(count: int, prefix: int) -> list[OrderInput]:
    rows = (
        OrderRowInput("article", 3, "ART001", "Articolo 001", Decimal(2), Decimal("12.20"), "22"),
        OrderRowInput("article", 4, "ART002", "Articolo 002", Decimal(1), Decimal("9.99"), "10"),
        OrderRowInput("spesa", 5, "SPEDSTD", "Spedizione", Decimal(1), Decimal("4.90"), "22"),
    )

    def order(amazon_order_id: str, is_company: bool) -> OrderInput:
        notes = standard_notes(amazon_order_id, dt.date.today(), "UNSHIPPED")  # as the site order stores them
        return OrderInput(
            amazon_order_id=amazon_order_id,
            purchase_date=dt.date.today(),
            fulfilment_channel="MFN",
            sigla=document_sigla(is_company),
            currency="EUR",
            total_gross=Decimal("39.29"),
            rows=tuple(OrderRowInput("note", line_no, None, text, Decimal(0), Decimal(0), "22")
                       for line_no, text in enumerate(notes, start=1)) + rows,
        )

    return [order(f"{prefix:03d}-{n:07d}-0000000", n % 3 == 0) for n in range(count)]


def run(root: str, latency_ms: float, count: int, search_first: bool, prefix: int) -> float:
    requests.post(f"{root}/_sandbox/reset", timeout=30).raise_for_status()
    settings = WebApiSettings(
        base_url=f"{root}/webapi/",
        user=USER,
        password=PASSWORD,
        dominio="demo",
        azienda="DEMO",
        max_concurrency=5,
    )
    client = GestionaleClient(settings)
    account = load_accounts().account("it_main")
    buyer = CustomerInput(
        name="Cliente Benchmark",
        email="bench@example.it",
        address_line1="Via Roma 1",
        postal_code="20100",
        city="Milano",
        province="MI",
    )
    code = client.ensure_customer(build_customer(buyer), account.customer_ledgers).key
    items = [OrderPush(order, customer_code=code, may_exist=search_first) for order in orders(count, prefix)]
    requests.post(f"{root}/_sandbox/faults", json={"latency_s": latency_ms / 1000}, timeout=5).raise_for_status()
    started = time.perf_counter()
    results = push_orders(client, account, items)
    elapsed = time.perf_counter() - started
    requests.post(f"{root}/_sandbox/faults", json={"latency_s": 0}, timeout=5)
    failed = [r for r in results if not r.ok]
    stored = requests.get(f"{root}/_sandbox/counts", timeout=5).json()
    if failed or stored["documenti"] != count:
        raise SystemExit(
            f"benchmark run broken: {len(failed)} failed, {stored['documenti']} stored of {count}: {failed[:1]}"
        )
    rate = count / elapsed
    requests_per_doc = 2 if search_first else 1
    bound = 5 / (latency_ms / 1000) / requests_per_doc
    mode = "search, then create" if search_first else "create"
    print(
        f"  {latency_ms:5.0f} ms latency, {mode:19}: {count:,} documents in {elapsed:6.2f} s = "
        f"{rate:7.1f} docs/s; bound {bound:6.1f} docs/s -> {rate / bound:6.1%} of the bound "
        f"(server busy-503s: {stored['stats'].get('busy_503', 0)})",
        flush=True,
    )
    return rate / bound


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.gestionale_push",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--latencies", default="50,10", help="injected latencies in ms, comma-separated")
    parser.add_argument("--search-first", action="store_true", help="also measure may_exist=True pushes")
    args = parser.parse_args(argv)
    latencies = [float(v) for v in args.latencies.split(",")]
    print(
        f"gestionale push benchmark: {args.documents:,} documents, 5 requests in flight, "
        f"stand-in in its own process (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)"
    )
    with (
        tempfile.TemporaryDirectory(prefix="gestionale-bench-") as data_dir,
        standin_process(data_dir) as root,
    ):
        prefix = 100
        for latency in latencies:
            for search_first in (False, True) if args.search_first else (False,):
                prefix += 1
                run(root, latency, args.documents, search_first, prefix)


if __name__ == "__main__":
    main()
