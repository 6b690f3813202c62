"""``make demo``: one account's Amazon orders end to end, on SQLite, against the local stand-ins.

Starts the Amazon stand-in with generated orders and the gestionale stand-in with its
catalogue, copies the articles into the site, runs ``amazon_orders__it_main`` with
``airflow dags test``, and prints what reached the site, the gestionale and the mailbox.
Everything lives under ``var/demo/`` and is made anew each time.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import shutil
import sqlite3
import sys
from pathlib import Path

from sandbox.stack import ROOT, LocalStack

ACCOUNT = "it_main"
WINDOW_START = "2026-10-01T00:00:00+00:00"  # the generated orders are from October 2026


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.demo", description=__doc__)
    parser.add_argument("--orders", type=int, default=300, help="how many Amazon orders to generate")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "demo")
    args = parser.parse_args(argv)

    shutil.rmtree(args.workdir, ignore_errors=True)
    print(f"Demo in {args.workdir}: {args.orders} generated Amazon orders, account {ACCOUNT}", flush=True)
    with LocalStack(args.workdir, amazon_args=["--generate", str(args.orders), "--seed", str(args.seed)]) as stack:
        print(f"  Amazon stand-in      http://127.0.0.1:{stack.amazon_port}", flush=True)
        print(f"  gestionale stand-in  http://127.0.0.1:{stack.gestionale_port}/webapi/", flush=True)
        print(f"  SMTP sink            127.0.0.1:{stack.mail.port} → {stack.mail.directory}", flush=True)
        prepare_site(stack)
        print("Preparing Airflow's metadata database (SQLite)...", flush=True)
        stack.migrate_airflow()
        print(f"Running amazon_orders__{ACCOUNT} with `airflow dags test`...", flush=True)
        result = stack.dags_test(f"amazon_orders__{ACCOUNT}", conf={"window_start": WINDOW_START})
        log = sorted(args.workdir.glob("dags-test-*.log"))[-1]
        if result.returncode != 0 or "state=success" not in (result.stdout + result.stderr):
            print(f"The DAG run failed; its log is {log}", file=sys.stderr)
            print((result.stdout + result.stderr)[-4000:], file=sys.stderr)
            return 1
        print_summary(stack, log)
    return 0


def prepare_site(stack: LocalStack) -> None:
    """The site's schema (the deployment's upgrade), then the gestionale's articles, as after a first
    site–gestionale sync."""
    from amazon_passweb.config import load_accounts
    from amazon_passweb.gestionale.client import GestionaleClient
    from amazon_passweb.gestionale.settings import WebApiSettings
    from amazon_passweb.importer.article_copy import pull_articles, spesa_codes
    stack.upgrade_site()
    store = stack.open_site_store()
    credentials = stack.gestionale
    client = GestionaleClient(WebApiSettings(
        base_url=f"http://127.0.0.1:{stack.gestionale_port}/webapi/", user=credentials["user"],
        password=credentials["password"], dominio=credentials["dominio"], azienda=credentials["azienda"]))
    copied = pull_articles(store, client, spesa_codes(load_accounts(stack.accounts_file).accounts))
    store.dispose()
    placeholders = create_placeholder_customers(stack, client)
    print(f"Site prepared: {copied} articles copied from the gestionale"
          + (f"; AFN placeholder customers {', '.join(placeholders)} created there" if placeholders else ""),
          flush=True)


def create_placeholder_customers(stack: LocalStack, client) -> list[str]:
    """The integrator creates each account's AFN placeholder customer in the gestionale by hand;
    here it is done through the WebAPI, as any customer with an explicit code."""
    from amazon_passweb.config import load_accounts
    from amazon_passweb.gestionale.client import CUSTOMERS

    created = []
    for account in load_accounts(stack.accounts_file).accounts:
        code = account.afn_placeholder_customer
        if not code or code in created or client.get_customer(code):
            continue
        record = {"codice": code, "ragione_sociale": f"Clienti Amazon {account.description}"[:40],
                  "gest_per_fisica": "N"}
        client.transport.request("POST", CUSTOMERS, record, idempotent=False)
        created.append(code)
    return created


def print_summary(stack: LocalStack, log: Path) -> None:
    site = sqlite3.connect(stack.site_db)
    states = site.execute("SELECT state, COUNT(*) FROM orders GROUP BY state ORDER BY 2 DESC").fetchall()
    inbox = site.execute("SELECT status, COUNT(*) FROM inbox GROUP BY status ORDER BY 2 DESC").fetchall()
    customers = site.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
    addresses = site.execute("SELECT COUNT(*) FROM addresses").fetchone()[0]
    watermark = site.execute("SELECT watermark FROM account_state WHERE account = ?", (ACCOUNT,)).fetchone()
    errors = site.execute(
        "SELECT amazon_order_id, last_error FROM inbox WHERE status = 'failed' ORDER BY amazon_order_id LIMIT 3"
    ).fetchall()
    print("\n== Site (Passweb) ==")
    print("  Amazon inbox:  " + ", ".join(f"{n} {status}" for status, n in inbox))
    print("  site orders:   " + ", ".join(f"{n} {state}" for state, n in states))
    print(f"  customers: {customers}, shipping addresses: {addresses}")
    print(f"  Data Ultima Sincronizzazione Ordini: {watermark[0] if watermark else '-'}")
    for amazon_id, error in errors:
        print(f"  failed {amazon_id}: {error}")

    gestionale = sqlite3.connect(stack.workdir / "gestionale" / "gestionale.sqlite3")
    print("\n== Gestionale (stand-in) ==")
    for table in _tables(gestionale):
        print(f"  {table}: {gestionale.execute(f'SELECT COUNT(*) FROM {table}').fetchone()[0]} rows")
    print("  sample documents:")
    for key, total in site.execute(
        "SELECT gestionale_document_key, total_gross FROM orders WHERE gestionale_document_key IS NOT NULL "
        "ORDER BY id LIMIT 3"
    ):
        print(f"    {key}  total {total}")

    print("\n== Email ==")
    for path in stack.mail.messages():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        print(f"  {path.name}  to {message['To']}: {message['Subject']}")
    print(f"\nAirflow log of the run: {log}")


def _tables(connection: sqlite3.Connection) -> list[str]:
    return [name for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]


if __name__ == "__main__":
    sys.exit(main())
