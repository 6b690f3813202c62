"""Run every benchmark; write bench/results.json and the tables of BENCHMARKS.md.

    python -m bench            # what `make bench` runs (about 20 minutes on 2 cores)
    python -m bench --quick    # small sizes, to check the wiring (about 2 minutes)
    python -m bench --only import --import-orders 1000,10000,50000

Needs the benchmark-only packages: pip install -r bench/requirements.txt
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from bench import amazon_fetch, amazon_library, dag_parse, gestionale_push, import_throughput, shipment_confirmations
from bench.report import write_markdown

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
MARKDOWN = ROOT / "BENCHMARKS.md"
SECTIONS = ("amazon", "import", "gestionale", "dag_parse", "shipments")

# (orders, v2026 time scale, v0 time scale): v0 makes one call per order, so its scale is lower
# to keep each call's share of the bound (1 / (0.5 × scale) s) above the round-trip time.
FULL = {
    "amazon": [(5_000, 1000.0, 200.0), (20_000, 1000.0, 200.0)],
    "import": "1000,10000,50000",
    "customers": 100_000,
    "documents": 2_000,
    "accounts": "1,10,100",
    "repeat": 5,
    "packages": 1_000,
}
QUICK = {
    "amazon": [(500, 1000.0, 200.0)],
    "import": "300",
    "customers": 5_000,
    "documents": 200,
    "accounts": "1,10",
    "repeat": 2,
    "packages": 100,
}


def machine() -> dict:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))
    from importlib.metadata import version

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024**2, 1),
        "python": platform.python_version(),
        "os": platform.platform(terse=True),
        "airflow": version("apache-airflow"),
        "python-amazon-sp-api": version("python-amazon-sp-api"),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def bench_amazon(sizes: list[tuple[int, float, float]], seed: int = 42) -> list[dict]:
    rows = []
    for orders, v2026_scale, v0_scale in sizes:
        for api_version, scale in ((amazon_library.V2026, v2026_scale), (amazon_library.V0, v0_scale)):
            ours = amazon_fetch.run(api_version, orders, seed, scale)
            rows.append({
                "client": "ours", "api_version": api_version, "time_scale": scale, "orders": ours.orders,
                "requested": orders, "calls": ours.calls, "minimum_calls": ours.minimum_calls,
                "throttled_429": max(ours.throttled_client, ours.throttled_server),
                "elapsed_s": round(ours.elapsed, 2), "bound_s": round(ours.bound, 2),
                "ratio": round(ours.ratio, 3),
            })
            print(f"  ours    {api_version:<10} {orders:>6}: {rows[-1]}", flush=True)
            library = amazon_library.run(api_version, orders, seed, scale)
            rows.append({
                "client": "python-amazon-sp-api", **asdict(library), "requested": orders,
                "throttled_429": library.throttled, "elapsed_s": round(library.elapsed, 2),
                "bound_s": round(library.bound, 2), "ratio": round(library.ratio, 3),
            })
            for key in ("throttled", "elapsed", "bound"):
                rows[-1].pop(key)
            print(f"  library {api_version:<10} {orders:>6}: {rows[-1]}", flush=True)
    return rows


def bench_gestionale(documents: int, latencies=(10.0, 50.0)) -> list[dict]:
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="gestionale-bench-") as data_dir,
        gestionale_push.standin_process(data_dir) as root,
    ):
        for prefix, latency in enumerate(latencies, start=101):
            share = gestionale_push.run(root, latency, documents, False, prefix)
            bound = 5 / (latency / 1000)
            rows.append({"latency_ms": latency, "documents": documents, "docs_per_s": round(share * bound, 1),
                         "bound_docs_per_s": bound, "share_of_bound": round(share, 3)})
    return rows


def bench_shipments(packages: int, samples: int, scale: float = 50.0) -> dict:
    """confirmShipment at its usage plan (2/s, burst 10): achieved rate against the bound, 429s."""
    result = shipment_confirmations.summary([shipment_confirmations.run(packages, scale) for _ in range(samples)])
    print(f"  {result}", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the wiring")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {SECTIONS}")
    parser.add_argument("--import-orders", help="import sizes (default 1000,10000,50000)")
    args = parser.parse_args(argv)
    sizes = dict(QUICK if args.quick else FULL)
    sizes["import"] = args.import_orders or sizes["import"]
    only = set(args.only.split(","))
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() and only != set(SECTIONS) else {}
    results["machine"] = machine()
    results["quick"] = args.quick
    steps = {
        "amazon": lambda: bench_amazon(sizes["amazon"]),
        "import": lambda: import_throughput.run(["sqlite", "postgresql"], sizes["import"], sizes["customers"], 42),
        "gestionale": lambda: bench_gestionale(sizes["documents"]),
        "dag_parse": lambda: dag_parse.run([int(n) for n in sizes["accounts"].split(",")], sizes["repeat"]),
        "shipments": lambda: bench_shipments(sizes["packages"], samples=3),
    }
    for name in SECTIONS:
        if name not in only:
            continue
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        results[name] = steps[name]()
        results.setdefault("durations_s", {})[name] = round(time.perf_counter() - started, 1)
        # Other work on the machine skews every number: keep the 5-minute load average with them.
        results.setdefault("load_average_after", {})[name] = round(os.getloadavg()[1], 2)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    write_markdown(results, MARKDOWN)
    print(f"wrote {RESULTS.relative_to(ROOT)} and {MARKDOWN.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
