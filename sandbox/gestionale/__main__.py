"""python -m sandbox.gestionale --port P --data-dir DIR [--user U --password W --dominio D --azienda A]
[--customer-auto] [--tables-json FILE] [--next-ttl-s S] [--tls-cert CERT --tls-key KEY]"""

from __future__ import annotations

import argparse

import uvicorn

from sandbox.gestionale.app import StandIn
from sandbox.gestionale.gate import AuthSettings
from sandbox.gestionale.server import uvicorn_config
from sandbox.gestionale.tables import load_tables_file


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.gestionale", description=__doc__)
    parser.add_argument("--port", type=int, default=9004)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--user", default="webapi")
    parser.add_argument("--password", default="webapi")
    parser.add_argument("--dominio", default="demo")
    parser.add_argument("--azienda", action="append", help="company code accepted (repeatable); default DEMO")
    parser.add_argument("--max-concurrency", type=int, default=5)
    parser.add_argument("--lockout-after", type=int, default=3)
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="every answer leaves this long after its request arrived, processing included",
    )
    parser.add_argument(
        "--customer-auto",
        action="store_true",
        help="accept mastro.AUTO customer codes (not documented by the reference; refused by default)",
    )
    parser.add_argument("--tables-json", help="JSON file replacing seeded dati-generali tables")
    parser.add_argument("--next-ttl-s", type=float, default=60.0, help="lifetime of a next paging token")
    parser.add_argument("--tls-cert", help="certificate file: serve HTTPS (with --tls-key)")
    parser.add_argument("--tls-key", help="private key file of --tls-cert")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    auth = AuthSettings(
        users={args.user: args.password},
        dominio=args.dominio or None,
        aziende=tuple(args.azienda or ["DEMO"]),
        max_concurrency=args.max_concurrency,
        lockout_after=args.lockout_after,
    )
    standin = StandIn(
        args.data_dir,
        auth=auth,
        customer_auto=args.customer_auto,
        tables=load_tables_file(args.tables_json) if args.tables_json else None,
        next_ttl_s=args.next_ttl_s,
    )
    tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
    standin.faults.update(latency_s=args.latency_ms / 1000)
    scheme = "https" if tls else "http"
    print(f"gestionale stand-in on {scheme}://{args.host}:{args.port}/webapi/ (data in {args.data_dir})", flush=True)
    uvicorn.Server(uvicorn_config(standin, host=args.host, port=args.port, tls=tls)).run()


if __name__ == "__main__":
    main()
