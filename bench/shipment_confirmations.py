"""Benchmark: confirm 1,000 packages to the SP-API stand-in under confirmShipment's usage plan
(2 requests/s, burst 10).

    python -m bench.shipment_confirmations [--packages 1000] [--scale 50] [--samples 3]

The stand-in runs as a separate process (``python -m sandbox.amazon``) serving generated orders, its
clock sped up by the time scale; the client scales its bucket the same way. Each sample starts a fresh
stand-in (full buckets) and confirms one package per unshipped merchant-fulfilled order, every item
whole, as ``importer.shipments`` does. It prints the achieved rate against the bound (the burst is
free, every further call waits 1/rate) and the 429s, seen by the client and counted by the stand-in.
"""

from __future__ import annotations

import argparse
import logging
import math
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from amazon_passweb.amazon.client import OrdersClient
from amazon_passweb.amazon.rate_limit import USAGE_PLANS, lower_bound_seconds
from amazon_passweb.amazon.settings import SpApiSettings
from amazon_passweb.amazon.shipments import PackageConfirmation, ShippedItem
from bench.amazon_fetch import _get, _start_standin
from bench.samples import spread, spread_text
from sandbox.amazon.generate import generate_orders
from sandbox.amazon.state import StandInConfig

OPERATION = "confirmShipment"


@dataclass
class Sample:
    packages: int
    time_scale: float
    elapsed: float  # seconds, stand-in time scaled
    bound: float
    throttled_client: int
    throttled_server: int
    retries: int

    @property
    def rate(self) -> float:
        """Packages per Amazon second."""
        return self.packages / (self.elapsed * self.time_scale) if self.elapsed else math.nan

    @property
    def ratio(self) -> float:
        return self.elapsed / self.bound if self.bound else math.nan


def packages(count: int, seed: int) -> tuple[int, list[tuple[str, str, PackageConfirmation]]]:
    """(orders to generate, (order id, marketplace, package) for the first ``count`` confirmable orders)."""
    generated = count * 5 + 100  # about a third are unshipped merchant-fulfilled orders
    orders = generate_orders(generated, seed)
    shipped_at = datetime.now(UTC) - timedelta(hours=1)
    found = []
    for order in orders:
        if order["fulfillment"]["fulfillmentStatus"] != "UNSHIPPED" or order["fulfillment"]["fulfilledBy"] == "AMAZON":
            continue
        items = tuple(ShippedItem(item["orderItemId"], int(item["quantityOrdered"])) for item in order["orderItems"])
        package = PackageConfirmation(str(len(found) + 1), "BRT", None, f"BRT{len(found) + 1:09d}", shipped_at, items)
        found.append((order["orderId"], order["salesChannel"]["marketplaceId"], package))
        if len(found) == count:
            return generated, found
    raise RuntimeError(f"only {len(found)} confirmable orders among {generated}: generate more")


def run(count: int, scale: float, seed: int = 42) -> Sample:
    generated, work = packages(count, seed)
    process, base = _start_standin(generated, seed, scale)
    try:
        defaults = StandInConfig()
        settings = SpApiSettings(client_id=defaults.client_id, client_secret=defaults.client_secret,
                                 refresh_token=defaults.refresh_token, endpoint=base,
                                 lwa_endpoint=f"{base}/auth/o2/token", time_scale=scale)
        with OrdersClient(settings) as client:
            client.lwa.access_token()  # the login is not part of the usage plan
            started = time.monotonic()
            for order_id, marketplace, package in work:
                client.confirm_shipment(order_id, marketplace, package)
            elapsed = time.monotonic() - started
            stats = client.stats
        server = _get(f"{base}/_standin/stats")
    finally:
        process.terminate()
        process.wait(timeout=10)
    rate, burst = USAGE_PLANS[OPERATION]
    return Sample(packages=len(work), time_scale=scale, elapsed=elapsed,
                  bound=lower_bound_seconds(len(work), rate, burst) / scale, throttled_client=stats.throttled,
                  throttled_server=server["throttled"].get(OPERATION, 0), retries=stats.retries)


def summary(samples: list[Sample]) -> dict:
    rate, burst = USAGE_PLANS[OPERATION]
    return {
        "packages": samples[0].packages, "time_scale": samples[0].time_scale, "samples": len(samples),
        "plan_rate_per_s": rate, "plan_burst": burst,
        "rate_per_amazon_s": [round(s.rate, 3) for s in samples],
        "median_rate_per_amazon_s": round(statistics.median(s.rate for s in samples), 3),
        "bound_rate_per_amazon_s": round(samples[0].packages / (samples[0].bound * samples[0].time_scale), 3),
        "elapsed_s": [round(s.elapsed, 2) for s in samples], "bound_s": round(samples[0].bound, 2),
        "ratio": [round(s.ratio, 3) for s in samples],
        "throttled_429": [max(s.throttled_client, s.throttled_server) for s in samples],
        "retries": [s.retries for s in samples],
    }  # fmt: skip


def run_section(profile: str, repeats: int) -> dict:
    """``repeats`` samples of one cell (1,000 packages full, 100 quick, time scale 50)."""
    packages = 1_000 if profile == "full" else 100
    samples = [run(packages, 50.0) for _ in range(repeats)]
    result = summary(samples) | {"repeats": repeats,
                                 "ratio_spread": spread([s.ratio for s in samples]),
                                 "rate_spread": spread([s.rate for s in samples])}
    print(f"  {result}", flush=True)
    return result


def render_section(result: dict) -> list[str]:
    header = ["packages", "time scale", "rate per Amazon s", "bound", "elapsed / bound", "429s", "≤ 1.05 × bound"]
    worst_429 = max(result["throttled_429"])
    row = [result["packages"], result["time_scale"], spread_text(result["rate_spread"]),
           result["bound_rate_per_amazon_s"], spread_text(result["ratio_spread"]),
           " / ".join(str(n) for n in result["throttled_429"]),
           "met" if result["ratio_spread"]["median"] <= 1.05 else "**missed**"]
    return ["### 5. Shipment confirmations (confirmShipment, 2/s burst 10)", "",
            f"Median (min–max, n) of {result['repeats']} runs; no 429 "
            f"{'met' if worst_429 == 0 else '**missed**'}.", "",
            "| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|",
            "| " + " | ".join(str(c) for c in row) + " |", ""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.shipment_confirmations",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--scale", type=float, default=50.0, help="the stand-in's time scale")
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    rate, burst = USAGE_PLANS[OPERATION]
    print(f"Confirming {args.packages} packages, {OPERATION} plan {rate:g}/s burst {burst}, time scale {args.scale:g}")
    print(f"{'sample':>6}{'elapsed s':>11}{'bound s':>9}{'ratio':>7}{'pkg/Amazon s':>14}{'bound':>7}{'429s':>6}"
          f"{'retries':>8}")
    samples = []
    for n in range(1, args.samples + 1):
        sample = run(args.packages, args.scale, args.seed)
        samples.append(sample)
        bound_rate = sample.packages / (sample.bound * sample.time_scale)
        print(f"{n:>6}{sample.elapsed:>11.2f}{sample.bound:>9.2f}{sample.ratio:>7.3f}{sample.rate:>14.3f}"
              f"{bound_rate:>7.3f}{max(sample.throttled_client, sample.throttled_server):>6}{sample.retries:>8}",
              flush=True)
    print(summary(samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
