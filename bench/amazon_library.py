"""Benchmark: the same fetch as bench.amazon_fetch, done with python-amazon-sp-api.

    python -m bench.amazon_library [--orders 5000] [--v2026-scale 1000] [--v0-scale 200]

The library (``pip install -r bench/requirements.txt``, not a product dependency) is used
as its documentation shows: the ``Orders`` client, ``load_all_pages`` for paging (waiting
1 / x-amzn-RateLimit-Limit between pages) and ``throttle_retry`` around every call. It is
pointed at the stand-in by setting the client's ``endpoint`` and passing an LWA token client
whose host is the stand-in (``auth_token_client_class``). v0 asks for buyer data and the
shipping address with ``RestrictedResources`` (a Restricted Data Token per page) and then
calls ``get_order_items`` per order.

The stand-in's clock runs ``scale`` times faster, so the library's own sleeps (retry
back-off, page pacing) are divided by ``scale`` too: the comparison is made in Amazon time.
Calls and 429s are counted by the stand-in.

``--expert`` (v2026 only) uses the library as someone who knows the usage plan would: no
``load_all_pages``; the pages are requested by hand, paced by a token bucket kept next to the
client (burst 20 free, then 1 / rate, the rate taken from ``x-amzn-RateLimit-Limit`` when sent),
one access token reused for every call (the library's token cache), and a 429 answered by
waiting 1 / rate and asking again (the library's ``SellingApiRequestThrottledException``).
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import time
import types
from dataclasses import dataclass
from urllib.parse import urlsplit

from cachetools import TTLCache

from amazon_passweb.amazon.rate_limit import USAGE_PLANS
from amazon_passweb.amazon.v2026 import INCLUDED_DATA
from bench.amazon_fetch import (
    PAGE,
    SINCE,
    Conditions,
    _start_standin,
    add_condition_arguments,
    conditions_from,
    drain,
    lower_bound,
    server_counts,
)
from sandbox.amazon.generate import MARKETPLACE_IDS
from sandbox.amazon.state import StandInConfig

V2026, V0 = "2026-01-01", "v0"
DOCUMENTED, EXPERT = "documented", "expert"


@dataclass
class LibraryOutcome:
    api_version: str
    time_scale: float
    orders: int
    calls: int
    minimum_calls: int
    throttled: int
    elapsed: float
    bound: float

    @property
    def ratio(self) -> float:
        return self.elapsed / self.bound if self.bound else math.nan


def _scale_library_sleeps(scale: float) -> None:
    """Make the library's retry and paging sleeps run on the stand-in's clock."""
    scaled = types.SimpleNamespace(sleep=lambda seconds: time.sleep(seconds / scale))
    for name in ("sp_api.util.retry", "sp_api.util.load_all_pages"):
        importlib.import_module(name).time = scaled


def _client(base: str, version: str, scale: float):
    from sp_api.api import Orders
    from sp_api.auth import access_token_client
    from sp_api.base import Marketplaces

    class StandInLogin(access_token_client.AccessTokenClient):
        scheme = f"{urlsplit(base).scheme}://"
        host = urlsplit(base).netloc

    # The library keeps an access token for SP_API_AUTH_CACHE_TTL (3,200 s) of a 3,600 s life:
    # in Amazon time, as every other wait here. A fresh cache also forgets earlier stand-ins' tokens.
    ttl = int(os.environ.get("SP_API_AUTH_CACHE_TTL", 3200)) / scale
    access_token_client.cache = TTLCache(maxsize=10, ttl=ttl)
    defaults = StandInConfig()
    client = Orders(
        Marketplaces.IT,
        version=version,
        refresh_token=defaults.refresh_token,
        credentials={"lwa_app_id": defaults.client_id, "lwa_client_secret": defaults.client_secret},
        auth_token_client_class=StandInLogin,
    )
    client.endpoint = base
    return client


def _fetch_v2026(client) -> int:
    from sp_api.util import load_all_pages, throttle_retry

    @load_all_pages(next_token_param="paginationToken", use_rate_limit_header=True)
    @throttle_retry()
    def search(**kwargs):
        return client.search_orders(**kwargs)

    fetched = 0
    for page in search(
        lastUpdatedAfter=SINCE.isoformat(),
        marketplaceIds=MARKETPLACE_IDS,
        includedData=list(INCLUDED_DATA),
        maxResultsPerPage=PAGE,
    ):
        fetched += len(page.payload["orders"])
    return fetched


def _fetch_v2026_expert(client, scale: float) -> int:
    """Hand-paced pages: a bucket of the plan's burst, refilled at the announced (or default) rate."""
    from sp_api.base.exceptions import SellingApiRequestThrottledException

    rate, burst = USAGE_PLANS["searchOrders"]
    tokens, updated = float(burst), time.monotonic()
    kwargs = {"lastUpdatedAfter": SINCE.isoformat(), "marketplaceIds": MARKETPLACE_IDS,
              "includedData": list(INCLUDED_DATA), "maxResultsPerPage": PAGE}
    fetched = 0
    while True:
        now = time.monotonic()
        tokens = min(float(burst), tokens + (now - updated) * rate * scale)
        updated = now
        if tokens < 1.0:
            time.sleep((1.0 - tokens) / (rate * scale))
            continue
        tokens -= 1.0
        try:
            page = client.search_orders(**kwargs)
        except SellingApiRequestThrottledException:
            tokens = 0.0
            continue
        if page.rate_limit:
            rate = float(page.rate_limit)
        fetched += len(page.payload["orders"])
        if not page.next_token:
            return fetched
        kwargs["paginationToken"] = page.next_token


def _fetch_v0(client) -> int:
    from sp_api.util import load_all_pages, throttle_retry

    @load_all_pages(use_rate_limit_header=True)
    @throttle_retry()
    def orders(**kwargs):
        return client.get_orders(**kwargs)

    @throttle_retry()
    def items(order_id: str):
        return client.get_order_items(order_id)

    fetched = 0
    for page in orders(
        LastUpdatedAfter=SINCE.isoformat(),
        MarketplaceIds=MARKETPLACE_IDS,
        MaxResultsPerPage=PAGE,
        RestrictedResources=["buyerInfo", "shippingAddress"],
    ):
        for order in page.payload["Orders"]:
            items(order["AmazonOrderId"])
            fetched += 1
    return fetched


def run(api_version: str, orders: int, seed: int, scale: float, conditions: Conditions | None = None,
        mode: str = DOCUMENTED) -> LibraryOutcome:
    if mode == EXPERT and api_version != V2026:
        raise ValueError("the hand-paced use is written for 2026-01-01 only")
    conditions = conditions or Conditions()
    _scale_library_sleeps(scale)
    process, base = _start_standin(orders, seed, scale, conditions, api_version)
    try:
        drain(base, api_version, conditions.drained)
        calls_before, throttled_before, _ = server_counts(base)
        client = _client(base, api_version, scale)
        client.auth  # login is not part of the usage plans  # noqa: B018
        started = time.monotonic()
        if mode == EXPERT:
            fetched = _fetch_v2026_expert(client, scale)
        else:
            fetched = (_fetch_v2026 if api_version == V2026 else _fetch_v0)(client)
        elapsed = time.monotonic() - started
        client.close()
        calls, throttled, _ = server_counts(base)
    finally:
        process.terminate()
        process.wait(timeout=10)
    bound, minimum = lower_bound(api_version, orders, scale, conditions)
    return LibraryOutcome(
        api_version=api_version,
        time_scale=scale,
        orders=fetched,
        calls=calls - calls_before,
        minimum_calls=minimum,
        throttled=throttled - throttled_before,
        elapsed=elapsed,
        bound=bound,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.amazon_library", description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--v2026-scale", type=float, default=1000.0)
    parser.add_argument("--v0-scale", type=float, default=200.0)
    parser.add_argument("--only", choices=[V2026, V0])
    parser.add_argument("--expert", action="store_true", help="hand-paced pages (2026-01-01 only)")
    add_condition_arguments(parser)
    args = parser.parse_args(argv)
    conditions = conditions_from(args)
    mode = EXPERT if args.expert else DOCUMENTED
    print(f"{'api':<11}{'scale':>7}{'orders':>8}{'calls':>7}{'min':>7}{'429s':>6}{'elapsed s':>11}{'ratio':>7}")
    for api_version, scale in ((V2026, args.v2026_scale), (V0, args.v0_scale)):
        if (args.only and api_version != args.only) or (mode == EXPERT and api_version != V2026):
            continue
        out = run(api_version, args.orders, args.seed, scale, conditions, mode)
        print(
            f"{api_version:<11}{scale:>7g}{out.orders:>8}{out.calls:>7}{out.minimum_calls:>7}"
            f"{out.throttled:>6}{out.elapsed:>11.2f}{out.ratio:>7.3f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
