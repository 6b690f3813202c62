"""Command line for integrators: ``python -m amazon_passweb doctor [--account ID] [--accounts-file F]``.

Connections are Airflow's (``AIRFLOW_CONN_*`` variables or the metadata database), as for the DAGs.
"""

from __future__ import annotations

import argparse
import logging
import sys

from amazon_passweb.config import load_accounts


def doctor(args: argparse.Namespace) -> int:
    from amazon_passweb.doctor import run_doctor
    from amazon_passweb.gestionale.client import GestionaleClient
    from amazon_passweb.gestionale.settings import DEFAULT_CONN_ID

    try:
        accounts_file = load_accounts(args.accounts_file)
    except Exception as error:  # the loader's message names the file, account and field
        print(f"PROBLEM configuration: {error}")
        return 1
    accounts = [accounts_file.account(args.account)] if args.account else list(accounts_file.accounts)
    conn_id = args.gestionale_conn_id or DEFAULT_CONN_ID
    # Short budgets: a preflight should answer in seconds, and never retry a refused login.
    findings = run_doctor(accounts, lambda: GestionaleClient.from_connection(conn_id, retry_budget_s=10.0))
    for finding in findings:
        print(finding)
    problems = len(findings.problems)
    print(f"{problems} problem{'s' if problems != 1 else ''} found" if problems else "no problems found")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m amazon_passweb")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("doctor", help="check the configuration against the gestionale and Amazon")
    check.add_argument("--account", help="only this account (default: every account)")
    check.add_argument("--accounts-file", help="default: $AMAZON_ACCOUNTS_FILE or the example file")
    check.add_argument("--gestionale-conn-id", help="default: gestionale_webapi")
    check.set_defaults(run=doctor)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
