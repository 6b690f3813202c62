"""``make airflow-ui``: the Airflow UI on http://127.0.0.1:8080 against the local stand-ins.

Starts both stand-ins (with generated orders), the SMTP sink and every Airflow
component, then waits until Ctrl-C. Log in as admin / admin-password, open
``amazon_orders__it_main`` and press Trigger ("Sincro Ordini").
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal

from sandbox.airflow_cluster import ADMIN, OPERATOR, LocalAirflow
from sandbox.demo import prepare_site
from sandbox.stack import ROOT, LocalStack


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.airflow_ui", description=__doc__)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    workdir = ROOT / "var" / "airflow-ui"
    shutil.rmtree(workdir, ignore_errors=True)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop)
    amazon_args = ["--generate", str(args.orders), "--seed", "7"]
    with contextlib.suppress(KeyboardInterrupt), LocalStack(workdir, amazon_args=amazon_args) as stack:
        prepare_site(stack)
        airflow = LocalAirflow(workdir, env=stack.airflow_env())
        airflow.port, airflow.base_url = args.port, f"http://127.0.0.1:{args.port}"
        airflow.env.update(
            {
                "AIRFLOW__API__PORT": str(args.port),
                "AIRFLOW__API__BASE_URL": airflow.base_url,
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{airflow.base_url}/execution/",
            }
        )
        with airflow:
            print(f"\nAirflow UI: {airflow.base_url}  (users {ADMIN[0]}/{ADMIN[1]}, {OPERATOR[0]}/{OPERATOR[1]})")
            print(
                f"Orders are from October 2026: trigger with window_start 2026-10-01T00:00:00Z. "
                f"Emails land in {stack.mail.directory}. Ctrl-C stops everything.",
                flush=True,
            )
            print(
                f"Backfill (recover 10 October, Italian time; Trigger → Backfill in the UI does the same): "
                f"AIRFLOW_HOME={airflow.env['AIRFLOW_HOME']} .venv/bin/airflow backfill create --dag-id "
                f"amazon_orders__it_main --from-date 2026-10-10T00:00:00+02:00 --to-date 2026-10-10T23:59:00+02:00 "
                f"--max-active-runs 1 --reprocess-behavior none",
                flush=True,
            )
            print(
                f"Change an order after import (JSON merge patch): curl -X POST "
                f"http://127.0.0.1:{stack.amazon_port}/_sandbox/orders/ORDER_ID "
                "-d '{\"fulfillment\": {\"fulfillmentStatus\": \"CANCELLED\"}}'",
                flush=True,
            )
            while True:
                signal.pause()


def _stop(signum, frame) -> None:
    """The first Ctrl-C (or SIGTERM) unwinds everything, startup included, through the ``with`` blocks that
    stop Airflow and the stand-ins. Later ones are ignored: an operator pressing Ctrl-C again must not cut
    that shutdown short and leave Airflow's components running in their own process groups."""
    for other in (signal.SIGINT, signal.SIGTERM):
        signal.signal(other, signal.SIG_IGN)
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
