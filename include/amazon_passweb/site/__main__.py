"""Deployment commands for the site database.

python -m amazon_passweb.site upgrade [--url URL] [--revision head]
python -m amazon_passweb.site downgrade [--url URL] [--revision base]
python -m amazon_passweb.site generate-key
"""

from __future__ import annotations

import argparse

from .crypto import generate_key
from .db import current_revision, downgrade, make_engine, migrate, site_database_url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m amazon_passweb.site", description="site database commands"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, default in (("upgrade", "head"), ("downgrade", "base")):
        command = commands.add_parser(name)
        command.add_argument(
            "--url", help="SQLAlchemy URL (default: the passweb_site connection / var/site.db)"
        )
        command.add_argument("--revision", default=default)
    commands.add_parser("generate-key", help="print a new SITE_PII_KEY")
    args = parser.parse_args(argv)

    if args.command == "generate-key":
        print(generate_key())
        return
    engine = make_engine(args.url or site_database_url())
    (migrate if args.command == "upgrade" else downgrade)(engine, args.revision)
    print(f"{engine.url.render_as_string(hide_password=True)}: revision {current_revision(engine)}")


if __name__ == "__main__":
    main()
