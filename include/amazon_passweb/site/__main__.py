"""Deployment commands for the site database.

python -m amazon_passweb.site upgrade [--url URL] [--revision head]
python -m amazon_passweb.site downgrade [--url URL] [--revision base]
python -m amazon_passweb.site generate-key
python -m amazon_passweb.site key-status [--url URL]
python -m amazon_passweb.site rotate-key --new-key-file FILE [--url URL] [--dry-run] [--ignore-open-runs]

The key in use is read from the usual configuration (``SITE_PII_KEY``, else the ``pii_key`` extra of
the ``passweb_site`` connection); a new key only from a file (or ``-``, standard input), never from
the command line, where ``ps`` and the shell history would show it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from .crypto import PiiCipher, PiiKeyError, describe_fingerprint, generate_key, load_pii_key
from .db import connection_extra, current_revision, downgrade, make_engine, migrate, site_database_url
from .errors import StoreError

if TYPE_CHECKING:
    from .key_rotation import RotationReport

_URL_HELP = "SQLAlchemy URL (default: the passweb_site connection / SITE_DATABASE_URL / var/site.db)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m amazon_passweb.site", description="site database commands"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, default in (("upgrade", "head"), ("downgrade", "base")):
        command = commands.add_parser(name)
        command.add_argument("--url", help=_URL_HELP)
        command.add_argument("--revision", default=default)
    commands.add_parser("generate-key", help="print a new SITE_PII_KEY")
    status = commands.add_parser("key-status", help="the configured key's fingerprint and the database's")
    status.add_argument("--url", help=_URL_HELP)
    rotate = commands.add_parser(
        "rotate-key",
        help="re-encrypt the buyer data with a new key (the old one read from SITE_PII_KEY / pii_key)",
    )
    rotate.add_argument("--new-key-file", required=True, type=Path,
                        help="file holding the new key (from generate-key); - reads standard input")
    rotate.add_argument("--url", help=_URL_HELP)
    rotate.add_argument("--dry-run", action="store_true", help="do everything, print the counts, roll back")
    rotate.add_argument("--ignore-open-runs", action="store_true",
                        help="rotate although an import or sync is recorded as running (a killed worker's)")
    args = parser.parse_args(argv)

    if args.command == "generate-key":
        print(generate_key())
        return 0
    url = args.url or site_database_url()
    try:
        if args.command == "key-status":
            return _key_status(url)
        if args.command == "rotate-key":
            return _rotate(url, args)
    except (PiiKeyError, StoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OperationalError as error:  # e.g. SQLite's write lock held past its busy timeout
        print(f"error: the site database: {error.orig}; nothing was changed", file=sys.stderr)
        return 1
    engine = make_engine(url)
    (migrate if args.command == "upgrade" else downgrade)(engine, args.revision)
    print(f"{engine.url.render_as_string(hide_password=True)}: revision {current_revision(engine)}")
    return 0


def _configured_cipher(url: str) -> PiiCipher:
    is_sqlite = make_url(url).get_backend_name() == "sqlite"
    return PiiCipher(load_pii_key(sqlite=is_sqlite, connection_extra=connection_extra()))


def _key_status(url: str) -> int:
    from .key_check import recorded_fingerprint

    cipher = _configured_cipher(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            recorded = recorded_fingerprint(conn)
    finally:
        engine.dispose()
    print(f"database:       {make_url(url).render_as_string(hide_password=True)}")
    print(f"configured key: {describe_fingerprint(cipher.fingerprint)}")
    recorded_text = describe_fingerprint(recorded) if recorded else "none recorded yet (the next opening records it)"
    print(f"database key:   {recorded_text}")
    if recorded and recorded != cipher.fingerprint:
        print("MISMATCH: the configured key is not the database's key; the store refuses to open")
        return 1
    return 0


def _read_new_key(path: Path) -> PiiCipher:
    text = sys.stdin.read() if str(path) == "-" else path.read_text()
    return PiiCipher(text.strip())


def _rotate(url: str, args: argparse.Namespace) -> int:
    from .key_rotation import AlreadyOnNewKey, rotate_key

    old = _configured_cipher(url)
    try:
        new = _read_new_key(args.new_key_file)
    except OSError as error:
        print(f"error: cannot read the new key: {error}", file=sys.stderr)
        return 1
    engine = make_engine(url)
    try:
        report = rotate_key(engine, old, new, dry_run=args.dry_run, ignore_open_runs=args.ignore_open_runs)
    except AlreadyOnNewKey as done:
        print(done)
        return 0
    finally:
        engine.dispose()
    _print_report(make_url(url).render_as_string(hide_password=True), report)
    return 0


def _print_report(url: str, report: RotationReport) -> None:
    outcome = "dry run, rolled back: nothing changed" if report.dry_run else "committed"
    print(f"{url}: buyer data moved from key {describe_fingerprint(report.old_fingerprint)} "
          f"to key {report.new_fingerprint} ({outcome})")
    for table in ("customers", "addresses", "inbox"):
        print(f"  {table}: {report.rows[table]} rows, {report.values[table]} values re-encrypted")
    print("  lookup hashes made with the new key: "
          + (", ".join(f"{name} {count}" for name, count in sorted(report.hashes.items())) or "none"))
    if +report.renormalised:
        print("  of those, made by older normalisation rules and now today's: "
              + ", ".join(f"{name} {count}" for name, count in sorted((+report.renormalised).items())))
    if report.dropped:
        print("  dropped, not rebuildable from the stored data (a purged customer's erased address, or data "
              "never stored): " + ", ".join(f"{name} {count}" for name, count in sorted(report.dropped.items())))
    if report.gestionale_customers_removed:
        print(f"  gestionale customers copy: {report.gestionale_customers_removed} removed; the next "
              "site–gestionale sync reads them all again")
    if not report.dry_run:
        print("Next: set the new key as SITE_PII_KEY (or the passweb_site connection's extra pii_key) for every "
              "Airflow component, then unpause the DAGs. The old key no longer opens this database.")


if __name__ == "__main__":
    sys.exit(main())
