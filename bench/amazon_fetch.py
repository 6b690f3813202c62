"""Benchmark: fetch orders from the SP-API stand-in under Amazon's default usage plans.

    python -m bench.amazon_fetch [--orders 5000] [--v2026-scale 1000] [--v0-scale 200]
                                 [--rtt 0.3 --jitter 0.2] [--drained 10] [--no-rate-header]
                                 [--granted-rate 0.0028]

The stand-in runs as a separate process (the app of ``sandbox.amazon``) with its clock
sped up by the time scale; the client scales its buckets the same way. For each API
version it prints the SP-API calls made (and the minimum possible), 429s received, LWA
logins (not SP-API calls, no usage plan), elapsed
time and its ratio to the token-bucket lower bound: the burst is free, every further
call of an operation waits 1/rate, and the slowest operation sets the bound.

``Conditions`` add what a real run meets: a round trip with jitter, a bucket partly used
by an earlier run, no ``x-amzn-RateLimit-Limit`` header, a rate granted below the default.
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
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
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
PAGE_OPERATION = {"2026-01-01": "searchOrders", "v0": "getOrders"}


@dataclass(frozen=True)
class Conditions:
    """What the stand-in does besides Amazon's default plans; the defaults are a plain localhost run.

    ``rtt`` and ``jitter`` are real-world seconds (a call's round trip to Amazon, and a uniform random
    extra of up to ``jitter``); they are divided by the time scale, as every other Amazon duration, and
    added half before and half after the stand-in handles the call. ``drained`` calls of the fetch's
    page operation are made before the clock starts (another run earlier in the hour used them), so the
    bucket is partly empty. ``rate_header`` off: no ``x-amzn-RateLimit-Limit``. ``granted_rate``: the
    page operation's rate granted to this seller (a lower one than the default plan when below it).
    """

    rtt: float = 0.0
    jitter: float = 0.0
    drained: int = 0
    rate_header: bool = True
    granted_rate: float | None = None

    def label(self) -> str:
        parts = []
        if self.rtt or self.jitter:
            parts.append(f"rtt {self.rtt * 1000:g} ms + jitter ≤ {self.jitter * 1000:g} ms")
        if self.drained:
            parts.append(f"{self.drained} tokens used before")
        if not self.rate_header:
            parts.append("no rate header")
        if self.granted_rate is not None:
            parts.append(f"granted rate {self.granted_rate:g}/s")
        return ", ".join(parts) or "plain"


@dataclass
class Outcome:
    api_version: str
    time_scale: float
    orders: int
    calls: int  # counted by the stand-in
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


# Serves the stand-in's own app (sandbox.amazon.app.create_app) under the conditions above: the options
# its command line lacks are fields of its StandInConfig; the round trip is a middleware around the app.
# The stand-in's code is unchanged.
SERVE = """
import asyncio, json, random, sys
import uvicorn
from sandbox.amazon.app import create_app
from sandbox.amazon.generate import generate_orders
from sandbox.amazon.state import StandInConfig
port, orders, seed, scale, options = json.loads(sys.argv[1])
granted = {options["operation"]: options["granted_rate"]} if options["granted_rate"] is not None else {}
config = StandInConfig(time_scale=scale, granted_rates=granted, send_rate_limit_header=options["rate_header"])
app = create_app(config, generate_orders(orders, seed))
rtt, jitter, draw = options["rtt"] / scale, options["jitter"] / scale, random.Random(seed)
if rtt or jitter:
    @app.middleware("http")
    async def round_trip(request, call_next):
        amazon = not request.url.path.startswith(("/_standin", "/_sandbox", "/auth"))
        delay = (rtt + draw.uniform(0, jitter)) / 2 if amazon else 0.0
        if delay:
            await asyncio.sleep(delay)
        answer = await call_next(request)
        if delay:
            await asyncio.sleep(delay)
        return answer
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")
"""


def _start_standin(orders: int, seed: int, scale: float, conditions: Conditions | None = None,
                   api_version: str = "2026-01-01") -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "include"), str(ROOT)]))
    if conditions is None or conditions == Conditions():
        command = ["-m", "sandbox.amazon", "--port", str(port), "--generate", str(orders), "--seed", str(seed),
                   "--time-scale", str(scale)]
    else:
        options = asdict(conditions) | {"operation": PAGE_OPERATION[api_version]}
        command = ["-c", SERVE, json.dumps([port, orders, seed, scale, options])]
    process = subprocess.Popen([sys.executable, *command], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
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


def drain(base: str, api_version: str, calls: int) -> None:
    """Spend ``calls`` tokens of the page operation's bucket, as an earlier run in the same hour would."""
    if not calls:
        return
    defaults = StandInConfig()
    login = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": defaults.refresh_token,
                                    "client_id": defaults.client_id, "client_secret": defaults.client_secret})
    with urllib.request.urlopen(f"{base}/auth/o2/token", data=login.encode(), timeout=10) as answer:
        token = json.loads(answer.read())["access_token"]
    if api_version == "v0":
        path, query = "/orders/v0/orders", {"LastUpdatedAfter": SINCE.isoformat(), "MarketplaceIds": MARKETPLACE_IDS[0]}
    else:
        path, query = "/orders/2026-01-01/orders", {"lastUpdatedAfter": SINCE.isoformat(),
                                                    "marketplaceIds": MARKETPLACE_IDS[0]}
    url = f"{base}{path}?{urllib.parse.urlencode(query)}"
    for _ in range(calls):
        request = urllib.request.Request(url, headers={"x-amz-access-token": token})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                answer.read()
        except urllib.error.HTTPError as failure:
            raise RuntimeError(f"draining the bucket failed: {failure.code} {failure.read()[:200]!r}") from None


def server_counts(base: str) -> tuple[int, int, int]:
    """(SP-API calls, 429s, LWA logins) as the stand-in counted them."""
    stats = _get(f"{base}/_standin/stats")
    return sum(stats["calls"].values()), sum(stats["throttled"].values()), stats["lwa_tokens"]


def lower_bound(api_version: str, orders: int, scale: float, conditions: Conditions | None = None
                ) -> tuple[float, int]:
    """(seconds, minimum calls) for fetching ``orders`` orders at ``scale`` under ``conditions``.

    Tokens spent before the fetch shrink the page operation's burst; a granted rate replaces its
    rate. The injected round trip is not part of the bound (it is part of the elapsed time)."""
    conditions = conditions or Conditions()
    pages = math.ceil(orders / PAGE)
    per_version = {"2026-01-01": {"searchOrders": pages}, "v0": {"getOrders": pages, "getOrderItems": orders}}
    calls = per_version[api_version]
    plans = dict(USAGE_PLANS)
    operation = PAGE_OPERATION[api_version]
    rate, burst = plans[operation]
    plans[operation] = (conditions.granted_rate or rate, max(0, burst - conditions.drained))
    amazon_seconds = max(lower_bound_seconds(n, *plans[op]) for op, n in calls.items())
    if api_version == "v0":
        # A Restricted Data Token lives an hour: a longer fetch needs a new one each hour.
        calls["createRestrictedDataToken"] = math.ceil(amazon_seconds / RDT_LIFETIME) or 1
    return amazon_seconds / scale, sum(calls.values())


def run(api_version: str, orders: int, seed: int, scale: float, conditions: Conditions | None = None) -> Outcome:
    conditions = conditions or Conditions()
    process, base = _start_standin(orders, seed, scale, conditions, api_version)
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
        drain(base, api_version, conditions.drained)
        calls_before, throttled_before, logins_before = server_counts(base)
        with OrdersClient(settings, api_version) as client:  # type: ignore[arg-type]
            client.lwa.access_token()  # login is not part of the usage plans
            started = time.monotonic()
            result = client.fetch_orders(SINCE, marketplace_ids=MARKETPLACE_IDS, page_size=PAGE)
            elapsed = time.monotonic() - started
            stats = client.stats
        calls, throttled, logins = server_counts(base)
    finally:
        process.terminate()
        process.wait(timeout=10)
    bound, minimum = lower_bound(api_version, orders, scale, conditions)
    return Outcome(
        api_version=api_version,
        time_scale=scale,
        orders=len(result.orders),
        calls=calls - calls_before,
        minimum_calls=minimum,
        throttled_client=stats.throttled,
        throttled_server=throttled - throttled_before,
        logins=logins - logins_before,
        retries=stats.retries,
        elapsed=elapsed,
        bound=bound,
    )


def conditions_from(args: argparse.Namespace) -> Conditions:
    return Conditions(rtt=args.rtt, jitter=args.jitter, drained=args.drained, rate_header=not args.no_rate_header,
                      granted_rate=args.granted_rate)


def add_condition_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rtt", type=float, default=0.0, help="round trip in real-world seconds (scaled)")
    parser.add_argument("--jitter", type=float, default=0.0, help="uniform extra of up to this, real-world s")
    parser.add_argument("--drained", type=int, default=0, help="page-operation tokens used before the fetch")
    parser.add_argument("--no-rate-header", action="store_true", help="the stand-in sends no rate header")
    parser.add_argument("--granted-rate", type=float, help="the page operation's granted rate, per s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.amazon_fetch", description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--v2026-scale", type=float, default=1000.0)
    parser.add_argument("--v0-scale", type=float, default=200.0)
    parser.add_argument("--only", choices=["2026-01-01", "v0"])
    parser.add_argument("--verbose", action="store_true", help="show the client's progress log")
    add_condition_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(asctime)s %(name)s %(message)s"
    )
    conditions = conditions_from(args)
    modes = [("2026-01-01", args.v2026_scale), ("v0", args.v0_scale)]
    print(f"Fetching {args.orders} orders at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, default usage plans, "
          f"{conditions.label()}")
    header = (
        f"{'api':<11}{'scale':>7}{'orders':>8}{'calls':>7}{'min':>7}{'429s':>6}{'retries':>8}"
        f"{'logins':>7}{'elapsed s':>11}{'bound s':>9}{'ratio':>7}{'real-time equivalent':>23}"
    )
    print(header)
    for api_version, scale in modes:
        if args.only and api_version != args.only:
            continue
        outcome = run(api_version, args.orders, args.seed, scale, conditions)
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
