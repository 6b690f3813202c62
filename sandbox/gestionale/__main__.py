"""python -m sandbox.gestionale --port P --data-dir DIR [--user U --password W --dominio D --azienda A]"""

from __future__ import annotations

import argparse

import uvicorn

from sandbox.gestionale.app import StandIn
from sandbox.gestionale.gate import AuthSettings
from sandbox.gestionale.server import uvicorn_config


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
    args = parser.parse_args(argv)
    auth = AuthSettings(
        users={args.user: args.password},
        dominio=args.dominio or None,
        aziende=tuple(args.azienda or ["DEMO"]),
        max_concurrency=args.max_concurrency,
        lockout_after=args.lockout_after,
    )
    standin = StandIn(args.data_dir, auth=auth)
    standin.faults.update(latency_s=args.latency_ms / 1000)
    print(f"gestionale stand-in on http://{args.host}:{args.port}/webapi/ (data in {args.data_dir})", flush=True)
    uvicorn.Server(uvicorn_config(standin, host=args.host, port=args.port)).run()


if __name__ == "__main__":
    main()
