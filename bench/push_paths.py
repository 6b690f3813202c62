"""Partial push on the production path: documents/s and requests/s against the bound 5 / latency.

    python -m bench.push_paths            # 50, 100, 250, 500 ms, 5 interleaved rounds
    python -m bench.push_paths --quick    # 50 ms, 40 orders, 2 rounds

Each sample pushes a site database holding imported Registrato orders (built once through the
importer, then copied, so every sample starts from the same state) with the product's own
``push_registrato``: write lease, batches of 100 read and recorded, a write-ahead intent committed
before every create, and a search before every create (customer, shipping address, document).
Buyers come in pairs of orders: the first ships home (a new customer), the second elsewhere (a new
shipping address under that customer), so every kind of create is on the path.

The stand-in (its own process) holds each answer until the injected latency has passed and refuses
with 503 a request over its limit of 5 in flight per user: with 5 in flight at most 5 / latency
requests complete per second. Requests are the stand-in's own count of WebAPI requests; documents/s
is bounded by that over the measured requests per document. Target: requests/s >= 90 % of
5 / latency with no busy 503.
"""

from __future__ import annotations

import argparse
import json
import shutil
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
from amazon_passweb.site.unit_of_work import open_site_store
from bench.gestionale_push import PASSWORD, USER, standin_process
from bench.samples import interleaved, spread, spread_text
from tests.fixtures.stores import open_seeded_store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "importer"))
from importer_helpers import address, amazon_order, private_buyer  # noqa: E402

IN_FLIGHT = 5
TARGET_SHARE = 0.90
# orders per latency: about 15-45 s a sample, and at least one whole batch of 100 in full
FULL = {50: 300, 100: 200, 250: 100, 500: 100}
QUICK = {50: 40}


def build_site(path: Path, key: str, count: int, orders_per_buyer: int = 2) -> None:
    """``count`` imported, not pushed orders: a buyer's first order ships home, the others elsewhere."""
    store = open_seeded_store(f"sqlite:///{path}", key)
    orders = []
    for n in range(count):
        buyer = n // orders_per_buyer
        who = private_buyer(f"Cliente Spinta{buyer}", f"push{buyer:06d}@marketplace.amazon.it")
        street = f"Via Roma {buyer + 1}" if n % orders_per_buyer == 0 else f"Corso Como {n + 1}"
        orders.append(amazon_order(buyer=who, delivery=address(who.name, street, "20121", "Milano", province="MI")))
    AccountImport(store, load_accounts().account("it_main"), "bench-import").run([orders])
    store.dispose()


def push_once(root: str, template: Path, key: str, latency_ms: int, count: int) -> dict:
    """One measured push from a fresh copy of the site database into a reset stand-in."""
    with tempfile.TemporaryDirectory(prefix="push-sample-") as tmp:
        site = Path(tmp) / "site.db"
        shutil.copyfile(template, site)
        store = open_site_store(f"sqlite:///{site}", pii_key=key)
        requests.post(f"{root}/_sandbox/reset", timeout=30).raise_for_status()  # also clears its stats
        requests.post(f"{root}/_sandbox/faults", json={"latency_s": latency_ms / 1000}, timeout=5).raise_for_status()
        settings = WebApiSettings(base_url=f"{root}/webapi/", user=USER, password=PASSWORD, dominio="demo",
                                  azienda="DEMO", max_concurrency=IN_FLIGHT)
        try:
            started = time.perf_counter()
            outcome = push_registrato(store, GestionaleClient(settings), load_accounts().account("it_main"),
                                      "bench-push")
            elapsed = time.perf_counter() - started
        finally:
            store.dispose()
        requests.post(f"{root}/_sandbox/faults", json={"latency_s": 0}, timeout=5)
        counts = requests.get(f"{root}/_sandbox/counts", timeout=5).json()
    if outcome["pushed"] != count or counts["documenti"] != count:
        raise RuntimeError(f"push broken: {dict(outcome)}, {counts['documenti']} documents of {count}")
    stats = counts["stats"]
    return {
        "docs_per_s": round(count / elapsed, 2),
        "requests_per_s": round(stats["requests"] / elapsed, 2),
        "requests_per_doc": round(stats["requests"] / count, 2),
        "busy_503": stats.get("busy_503", 0),
        "customers": counts["clienti"],
        "addresses": counts["indirizzi"],
        "peak_in_flight": stats.get("peak_in_flight", 0),
    }


def run_section(profile: str, repeats: int) -> dict:
    sizes = QUICK if profile == "quick" else FULL
    key = generate_key()
    with tempfile.TemporaryDirectory(prefix="push-paths-") as tmp, standin_process(tmp) as root:
        templates = {}
        for count in sorted(set(sizes.values())):
            templates[count] = Path(tmp) / f"template-{count}.db"
            build_site(templates[count], key, count)
        cells = {f"{latency} ms": (lambda latency=latency, count=count:
                                   push_once(root, templates[count], key, latency, count))
                 for latency, count in sizes.items()}
        samples = interleaved(cells, repeats, progress=lambda line: print(line, flush=True))
    result_cells, targets = [], []
    for (latency, count), runs in zip(sizes.items(), samples.values(), strict=True):
        bound = IN_FLIGHT / (latency / 1000)  # requests/s with 5 in flight
        cell = {"latency_ms": latency, "orders": count, "bound_requests_per_s": bound,
                **{name: spread([run[name] for run in runs]) for name in
                   ("docs_per_s", "requests_per_s", "requests_per_doc")},
                "share_of_bound": spread([run["requests_per_s"] / bound for run in runs]),
                "busy_503": sum(run["busy_503"] for run in runs),
                "peak_in_flight": max(run["peak_in_flight"] for run in runs),
                "created": {"customers": runs[0]["customers"], "addresses": runs[0]["addresses"]}}
        result_cells.append(cell)
        share = cell["share_of_bound"]["median"]
        targets.append({
            "name": f"push at {latency} ms: requests/s >= {TARGET_SHARE:.0%} of 5/latency, 0 busy 503",
            "met": share >= TARGET_SHARE and cell["busy_503"] == 0,
            "detail": f"{share:.1%} of {bound:g} requests/s (median), {cell['busy_503']} busy 503 "
                      f"in {len(runs)} pushes"})
    return {"profile": profile, "repeats": repeats, "cells": result_cells, "targets": targets}


def render_section(result: dict) -> list[str]:
    lines = [f"### Partial push, production path ({result['profile']}, {result['repeats']} interleaved rounds)", "",
             "| latency | orders | documents/s | requests/s | bound req/s | share of bound | requests/doc "
             "| busy 503 | peak in flight |",
             "|---|---|---|---|---|---|---|---|---|"]
    for cell in result["cells"]:
        share = {k: round(v * 100, 1) if k != "n" else v for k, v in cell["share_of_bound"].items()}
        lines.append(f"| {cell['latency_ms']} ms | {cell['orders']} | {spread_text(cell['docs_per_s'])} "
                     f"| {spread_text(cell['requests_per_s'])} | {cell['bound_requests_per_s']:g} "
                     f"| {spread_text(share)} % | {spread_text(cell['requests_per_doc'])} | {cell['busy_503']} "
                     f"| {cell['peak_in_flight']} |")
    lines.append("")
    lines += [f"- {t['name']}: {'met' if t['met'] else '**missed**'} ({t['detail']})" for t in result["targets"]]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.push_paths", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args(argv)
    profile = "quick" if args.quick else "full"
    result = run_section(profile, args.repeats or (2 if args.quick else 5))
    print("\n".join(render_section(result)))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
