"""Benchmark: fetch 5,000 orders from the SP-API stand-in under Amazon's default usage plans.

    python -m bench.amazon_fetch [--orders 5000] [--v2026-scale 1000] [--v0-scale 200]

The stand-in runs as a separate process (``python -m sandbox.amazon``) with its clock
sped up by the time scale; the client scales its buckets the same way. For each API
version it prints the SP-API calls made (and the minimum possible), 429s received, LWA
logins (not SP-API calls, no usage plan), elapsed
time and its ratio to the token-bucket lower bound: the burst is free, every further
call of an operation waits 1/rate, and the slowest operation sets the bound.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from amazon_passweb.amazon.client import OrdersClient
from amazon_passweb.amazon.rate_limit import USAGE_PLANS, lower_bound_seconds
from amazon_passweb.amazon.settings import SpApiSettings
from sandbox.amazon.generate import DEFAULT_START, MARKETPLACE_IDS
from sandbox.amazon.state import StandInConfig

ROOT = Path(__file__).resolve().parent.parent
PAGE = 100
SINCE = DEFAULT_START - timedelta(days=30)  # before every generated order
RDT_LIFETIME = 3600.0


@dataclass
class Outcome:
    api_version: str
    time_scale: float
    orders: int
    calls: int
    minimum_calls: int
    throttled_client: int
    throttled_server: int
    logins: int
    retries: int
    elapsed: float
    bound: float

    @property
    def ratio(self) -> float:
        return self.elapsed / self.bound if self.bound else math.nan


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.loads(answer.read())


def _start_standin(orders: int, seed: int, scale: float) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "include"), str(ROOT)]))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox.amazon",
            "--port",
            str(port),
            "--generate",
            str(orders),
            "--seed",
            str(seed),
            "--time-scale",
            str(scale),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            _get(f"{base}/_standin/stats")
            return process, base
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"stand-in did not start: {process.stderr.read().decode()}") from None
            time.sleep(0.1)


def lower_bound(api_version: str, orders: int, scale: float) -> tuple[float, int]:
    """(seconds, minimum calls) for fetching ``orders`` orders at ``scale``."""
    pages = math.ceil(orders / PAGE)
    per_version = {"2026-01-01": {"searchOrders": pages}, "v0": {"getOrders": pages, "getOrderItems": orders}}
    calls = per_version[api_version]
    amazon_seconds = max(lower_bound_seconds(n, *USAGE_PLANS[op]) for op, n in calls.items())
    if api_version == "v0":
        # A Restricted Data Token lives an hour: a longer fetch needs a new one each hour.
        calls["createRestrictedDataToken"] = math.ceil(amazon_seconds / RDT_LIFETIME) or 1
    return amazon_seconds / scale, sum(calls.values())


def run(api_version: str, orders: int, seed: int, scale: float) -> Outcome:
    process, base = _start_standin(orders, seed, scale)
    try:
        defaults = StandInConfig()
        settings = SpApiSettings(
            client_id=defaults.client_id,
            client_secret=defaults.client_secret,
            refresh_token=defaults.refresh_token,
            endpoint=base,
            lwa_endpoint=f"{base}/auth/o2/token",
            time_scale=scale,
        )
        with OrdersClient(settings, api_version) as client:  # type: ignore[arg-type]
            client.lwa.access_token()  # login is not part of the usage plans
            started = time.monotonic()
            result = client.fetch_orders(SINCE, marketplace_ids=MARKETPLACE_IDS, page_size=PAGE)
            elapsed = time.monotonic() - started
            stats = client.stats
        server = _get(f"{base}/_standin/stats")
    finally:
        process.terminate()
        process.wait(timeout=10)
    bound, minimum = lower_bound(api_version, orders, scale)
    return Outcome(
        api_version=api_version,
        time_scale=scale,
        orders=len(result.orders),
        calls=stats.total_calls,
        minimum_calls=minimum,
        throttled_client=stats.throttled,
        throttled_server=sum(server["throttled"].values()),
        logins=server["lwa_tokens"],
        retries=stats.retries,
        elapsed=elapsed,
        bound=bound,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.amazon_fetch", description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--v2026-scale", type=float, default=1000.0)
    parser.add_argument("--v0-scale", type=float, default=200.0)
    parser.add_argument("--only", choices=["2026-01-01", "v0"])
    parser.add_argument("--verbose", action="store_true", help="show the client's progress log")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(asctime)s %(name)s %(message)s"
    )
    modes = [("2026-01-01", args.v2026_scale), ("v0", args.v0_scale)]
    print(f"Fetching {args.orders} orders at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, default usage plans")
    header = (
        f"{'api':<11}{'scale':>7}{'orders':>8}{'calls':>7}{'min':>7}{'429s':>6}{'retries':>8}"
        f"{'logins':>7}{'elapsed s':>11}{'bound s':>9}{'ratio':>7}{'real-time equivalent':>23}"
    )
    print(header)
    for api_version, scale in modes:
        if args.only and api_version != args.only:
            continue
        outcome = run(api_version, args.orders, args.seed, scale)
        throttled = max(outcome.throttled_client, outcome.throttled_server)
        real = outcome.elapsed * scale
        print(
            f"{api_version:<11}{scale:>7g}{outcome.orders:>8}{outcome.calls:>7}{outcome.minimum_calls:>7}"
            f"{throttled:>6}{outcome.retries:>8}{outcome.logins:>7}{outcome.elapsed:>11.2f}{outcome.bound:>9.2f}"
            f"{outcome.ratio:>7.3f}{real / 3600:>19.2f} h",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
