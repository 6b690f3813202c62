"""``make demo-live``: Amazon's ORDER_CHANGE notifications bring new orders into the gestionale in seconds.

Starts the stand-ins with a local SQS (moto), a real Airflow (api-server, scheduler, dag-processor,
triggerer; SQLite, LocalExecutor), subscribes the account to its queue with the product's
``notifications setup`` command, unpauses the account's DAG (hourly cron as the safety net), then
creates a few orders at a time on the Amazon stand-in and prints, for each, the seconds from its
creation to Memorizzato in the site (its document being in the gestionale), then p50/p95/max.
Everything lives under ``var/demo-live/``, made anew each time. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import time
from pathlib import Path

import yaml

from amazon_passweb.config import DEFAULT_ACCOUNTS_FILE
from sandbox.airflow_cluster import LocalAirflow
from sandbox.order_latency import OrderSource, StandInControl, Stored, StoredOrders, latency_summary, now
from sandbox.stack import ROOT, LocalStack

ACCOUNT = "it_main"
DAG = f"amazon_orders__{ACCOUNT}"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT")  # the command's log records, not its plain-words answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.demo_live", description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=8, help="how many times orders are created")
    parser.add_argument("--batch-size", type=int, default=3, help="orders created each time")
    parser.add_argument("--interval", type=float, default=20.0, help="seconds between two batches")
    parser.add_argument("--wait", type=float, default=300.0,
                        help="seconds to wait for the last orders after the last batch")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "demo-live")
    args = parser.parse_args(argv)

    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    try:
        return run(args)
    except KeyboardInterrupt:
        print("\nInterrupted: stopping Airflow, the stand-ins and the SQS server.", flush=True)
        return 130


def accounts_file(workdir: Path) -> Path:
    """The example accounts, only this one scheduled: hourly, the safety net behind the notifications."""
    raw = yaml.safe_load(DEFAULT_ACCOUNTS_FILE.read_text())
    raw["sync_schedule"] = raw["purge_schedule"] = "none"
    for account in raw["accounts"]:
        account["schedule"] = "hourly" if account["id"] == ACCOUNT else "none"
    path = workdir / "accounts.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    return path


def run(args: argparse.Namespace) -> int:
    from sandbox.demo import prepare_site

    print(f"Live demo in {args.workdir}: account {ACCOUNT}, notifications through a local SQS", flush=True)
    with LocalStack(args.workdir, amazon_args=[], accounts_file=accounts_file(args.workdir),
                    notifications=[ACCOUNT]) as stack:
        print(f"  Amazon stand-in      {stack.amazon_url}", flush=True)
        print(f"  gestionale stand-in  http://127.0.0.1:{stack.gestionale_port}/webapi/", flush=True)
        print(f"  SQS (moto)           {stack.sqs.endpoint_url}, queue {stack.queues[ACCOUNT].name}", flush=True)
        prepare_site(stack)
        print(f"Subscribing {ACCOUNT} to ORDER_CHANGE: python -m amazon_passweb notifications setup {ACCOUNT} "
              f"--queue-arn {stack.queues[ACCOUNT].arn}", flush=True)
        setup = stack.setup_notifications(ACCOUNT)
        said = [line for line in setup.stdout.splitlines() if line.strip() and not LOG_LINE.match(line)]
        print("\n".join(f"  | {line}" for line in said), flush=True)
        print("Starting Airflow (api-server, scheduler, dag-processor, triggerer; about a minute)...", flush=True)
        with LocalAirflow(args.workdir / "cluster", env=stack.airflow_env()) as airflow:
            print(f"  Airflow UI           {airflow.base_url} (admin / admin-password)", flush=True)
            airflow.unpause(DAG)
            print(f"{DAG} unpaused; waiting for its first scheduled run (the safety net's first read)...",
                  flush=True)
            first = airflow.wait_for_runs(DAG, 1, timeout=600)
            print(f"  {first[0]['run_type']} run {first[0]['state']}", flush=True)
            return stream_orders(args, stack, airflow)


def stream_orders(args: argparse.Namespace, stack: LocalStack, airflow: LocalAirflow) -> int:
    control = StandInControl(stack.amazon_url)
    source = OrderSource.for_account(control, stack.accounts_file, ACCOUNT)
    watch = StoredOrders(stack.site_url, stack.workdir / "gestionale" / "gestionale.sqlite3")
    run_types: dict[str, str] = {}
    total = args.batches * args.batch_size
    print(f"\nCreating {total} orders, {args.batch_size} every {args.interval:g} s; each line is one order "
          "reaching Memorizzato:", flush=True)
    try:
        next_batch, created_batches = time.monotonic(), 0
        deadline = None
        while True:
            if created_batches < args.batches and time.monotonic() >= next_batch:
                placed = [order for order in (source.create() for _ in range(args.batch_size)) if order]
                for order_id, at in placed:
                    watch.watch(ACCOUNT, [order_id], at)
                created_batches += 1
                next_batch += args.interval
                print(f"  {now():%H:%M:%S} created {', '.join(order_id for order_id, _ in placed)}", flush=True)
                if created_batches == args.batches:
                    deadline = time.monotonic() + args.wait
            for stored in watch.poll():
                print_stored(stored, run_type(airflow, run_types, stored.run_id))
            if deadline and (not watch.missing or time.monotonic() > deadline):
                break
            time.sleep(1)
    finally:
        summary(watch, control, run_types)
        watch.dispose()
    return 0 if not watch.missing else 1


def run_type(airflow: LocalAirflow, known: dict[str, str], run_id: str | None) -> str:
    if run_id and run_id not in known:
        answer = airflow.api("GET", f"/dags/{DAG}/dagRuns/{run_id}")
        known[run_id] = answer.json().get("run_type", "?") if answer.ok else "?"
    return known.get(run_id or "", "?")


def print_stored(stored: Stored, kind: str) -> None:
    print(f"  {stored.pushed_at:%H:%M:%S} {stored.order_id} Memorizzato {stored.latency_s:6.1f} s after its "
          f"creation, document in the gestionale ({kind} run)", flush=True)


def summary(watch: StoredOrders, control: StandInControl, run_types: dict[str, str]) -> None:
    latencies = [s.latency_s for s in watch.stored.values()]
    figures = latency_summary(latencies)
    print(f"\n{len(watch.stored)}/{len(watch.created)} orders Memorizzato", flush=True)
    if figures["n"]:
        print(f"  creation → Memorizzato: p50 {figures['p50_s']:g} s, p95 {figures['p95_s']:g} s, "
              f"max {figures['max_s']:g} s", flush=True)
    by_kind: dict[str, int] = {}
    for stored in watch.stored.values():
        kind = run_types.get(stored.run_id or "", "?")
        by_kind[kind] = by_kind.get(kind, 0) + 1
    if by_kind:
        print("  stored by runs of type: " + ", ".join(f"{n} {kind}" for kind, n in sorted(by_kind.items())))
    if watch.missing:
        print(f"  not yet Memorizzato: {', '.join(watch.missing)}")
    try:
        counts = control.notifications()
        print("  notifications: " + ", ".join(f"{counts[k]} {k}" for k in
                                              ("published", "duplicated", "delayed", "dropped") if k in counts))
    except Exception as exc:  # the stand-in is gone (Ctrl-C): the rest of the summary still stands
        print(f"  notifications: not read ({type(exc).__name__})")
    documents = watch.documents()
    twice = sorted(oid for oid in watch.created if documents.get(oid, 0) > 1)
    print(f"  gestionale documents of these orders: {sum(documents.get(oid, 0) for oid in watch.created)}"
          + (f", twice: {', '.join(twice)}" if twice else ", none twice"), flush=True)


if __name__ == "__main__":
    sys.exit(main())
