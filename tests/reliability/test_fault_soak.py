"""Fault soak: one account's imports under every fault at once, until the orders are in.

- Amazon (SP-API stand-in): 30% of calls answer 429, 10% 5xx (5% 500, 5% 503), 5% hang past the
  client's timeout, and access and restricted-data tokens live one Amazon minute. The account reads
  with Orders API v0, which makes a call per order, so the faults hit every order's fetch, not a
  handful of pages.
- The gestionale (WebAPI stand-in): its service pool busy (503 3002) for 60 ms of every 300 ms
  for the whole push, which the client rides out by retrying, and a 2-minute outage (connections
  reset) that opens once the fifth document is stored, which outlasts the retry budget.
- SMTP: the server is down (a closed port).

Time is compressed so the soak takes about a minute (CI variant): Amazon's clock runs
``AMAZON_TIME_SCALE`` times faster (a token minute is 2 real seconds; rate limits and backoff
scale with it), and the gestionale outage is compressed by ``OUTAGE_COMPRESSION`` (15): 120 s → 8 s.
The WebAPI client's retry budget is set to 75 s, compressed likewise to 5 s, so the outage outlasts
it, as a real 2-minute outage outlasts any budget shorter than 2 minutes (the product's default is
120 s, which would ride most of it out). The pushes caught in it fail, their orders stay
Registrato, and the next run stores them: the domain rule "when the gestionale is not
reachable, they stay Registrato and the next partial sync inserts them". A create sent into the
outage has an uncertain outcome (its connection reset, its search failing too): that order waits
until ``uncertain_wait_s`` has passed since the POST (30 minutes in production; 12 s here, the least
the client takes above its 10 s read timeout: the stand-in drops such creates before storing them, so
nothing commits late and the wait only has to pass), and the next run after it creates it.
``RELIABILITY_SOAK_ORDERS`` sets how many orders Amazon serves (default 60) and
``RELIABILITY_SOAK_SCALE`` the compression (default 15); the longer variant is
``RELIABILITY_SOAK_ORDERS=1000 RELIABILITY_SOAK_SCALE=1`` (a real-time 2-minute outage, some minutes).

Expected: every order exactly once in the site and the gestionale; each failed email recorded on
its import run and in the task summary; no import undone or blocked by it.
"""

from __future__ import annotations

import os
import threading
import time

import pytest
import yaml
from sqlalchemy import create_engine, text

from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE
from amazon_passweb.importer import steps
from sandbox.amazon.state import Faults, StandInConfig
from tests.reliability.crash_worker import run_import
from tests.reliability.reliability_fixtures import (
    ACCOUNT_ID,
    assert_exactly_once,
    orders_for_test,
    read_outcome,
    running_services,
    wanted_orders,
)

pytestmark = pytest.mark.slow
ORDERS = orders_for_test(int(os.environ.get("RELIABILITY_SOAK_ORDERS", "60")), seed=5)
WANTED = set(wanted_orders(ORDERS))
SCALE = float(os.environ.get("RELIABILITY_SOAK_SCALE", "15"))  # 1: real-time gestionale outage
AMAZON_TIME_SCALE = 30.0
OUTAGE_COMPRESSION = SCALE
OUTAGE_S = 120 / OUTAGE_COMPRESSION
RETRY_BUDGET_S = 75 / OUTAGE_COMPRESSION
AMAZON_FAULTS = Faults(p429=0.30, p500=0.05, p503=0.05, timeout_probability=0.05, timeout_seconds=1.5, seed=2026)
MAX_RUNS = 5
UNCERTAIN_WAIT_S = 12.0


@pytest.fixture
def accounts_file(tmp_path):
    raw = yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text())
    for account in raw["accounts"]:
        if account["id"] == ACCOUNT_ID:
            account["api_version"] = "v0"
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


class GestionaleChaos:
    """503 bursts all along; the outage once the gestionale holds ``outage_after`` documents.

    A burst is a stretch of time (``burst_s``), as when other clients hold the WebAPI's slots, not
    a count of requests: a count re-armed on every tick would fail the first requests after each
    tick, and a client that backs off longer than a tick would meet a fresh burst on every retry."""

    TICK_S = 0.02

    def __init__(self, standin, outage_after: int = 5, burst_s: float = 0.06, every_s: float = 0.3):
        self.standin, self.outage_after, self.burst_s = standin, outage_after, burst_s
        self.ticks_per_burst = round(every_s / self.TICK_S)
        self.bursts = 0
        self.outage_opened = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="gestionale-chaos")

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        self.standin.faults.clear()

    def _run(self):
        tick = 0
        while not self._stop.wait(self.TICK_S):
            tick += 1
            if tick % self.ticks_per_burst == 0:
                self.standin.faults.update(busy_s=self.burst_s)
                self.bursts += 1
            if not self.outage_opened and self.standin.standin.count_documents() >= self.outage_after:
                self.standin.faults.update(outage_s=OUTAGE_S, outage_mode="drop")
                self.outage_opened = True


def test_every_order_arrives_once_under_amazon_gestionale_and_smtp_faults(tmp_path, monkeypatch, accounts_file):
    amazon_config = StandInConfig(time_scale=AMAZON_TIME_SCALE, token_lifetime=60.0, rdt_lifetime=60.0,
                                  faults=AMAZON_FAULTS)
    started, batch = time.monotonic(), steps.BATCH
    with running_services(tmp_path, ORDERS, amazon_config=amazon_config, smtp_down=True,
                          accounts_file=accounts_file, amazon_timeout_s=1.0,
                          gestionale_retry_budget_s=RETRY_BUDGET_S,
                          gestionale_uncertain_wait_s=UNCERTAIN_WAIT_S) as services:
        for name, value in services.env().items():
            monkeypatch.setenv(name, value)
        summaries, task_failures = [], []
        services.gestionale.faults.update(latency_s=0.05)  # a push that lasts a few seconds
        with GestionaleChaos(services.gestionale) as chaos:
            summaries.append(run_import("manual__soak", task_retries=2, task_failures=task_failures))
            for number in range(1, MAX_RUNS):  # the account's next scheduled runs, from its watermark
                if summaries[-1]["push_failed"] == 0:
                    break
                if _uncertain_orders(services):  # their creates may be sent again only after the wait
                    time.sleep(UNCERTAIN_WAIT_S)
                summaries.append(run_import(f"scheduled__soak-{number}", kind="scheduled", window_start=None,
                                            task_retries=2, task_failures=task_failures))
        amazon = services.amazon.state.counters
        gestionale_503s = services.gestionale.standin.gate.stats["burst_503"]
        print(f"soak: {len(ORDERS)} Amazon orders, {len(WANTED)} imported; {len(summaries)} runs in "
              f"{time.monotonic() - started:.0f} s; Amazon calls {sum(amazon.calls.values())} {amazon.calls}, "
              f"faults {amazon.faults}, throttled {amazon.throttled}, tokens {amazon.lwa_tokens}; gestionale "
              f"{gestionale_503s} 503s in {chaos.bursts} bursts, outage {OUTAGE_S:.0f} s; pushes failed then retried "
              f"{sum(s['push_failed'] for s in summaries)} (per run {[s['push_failed'] for s in summaries]}); "
              f"task retries {task_failures}")
        outcome = read_outcome(services)

    assert_exactly_once(outcome, WANTED)
    assert batch == steps.BATCH, "the harness gave the product's batch size back"
    assert chaos.outage_opened and gestionale_503s >= 10
    assert amazon.faults >= 10, "the faults hit the import"
    assert amazon.lwa_tokens >= 3 and amazon.calls["createRestrictedDataToken"] >= 3, (
        "access and restricted-data tokens expired and were renewed during the import")
    assert summaries[0]["push_failed"] > 0, "the outage outlasted the retry budget: some pushes waited"
    assert len(summaries) >= 2 and summaries[-1]["push_failed"] == 0
    assert sum(s["pushed"] for s in summaries) == sum(o["state"] == "Memorizzato" for o in outcome.site_orders)

    runs = {run["run_id"]: run for run in outcome.import_runs}
    for summary in summaries:
        assert summary["email_status"].startswith("invio email non riuscito"), summary["email_status"]
        run = runs[summary["run_id"]]
        assert run["outcome"] in ("success", "partial") and run["message"] == summary["email_status"]


def _uncertain_orders(services) -> int:
    engine = create_engine(services.site_url)
    try:
        with engine.connect() as db:
            return db.execute(text("SELECT count(*) FROM orders WHERE push_uncertain IS NOT NULL")).scalar_one()
    finally:
        engine.dispose()
