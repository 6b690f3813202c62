"""``python -m sandbox.amazon --port P (--orders FILE | --generate N [--seed S]) [--time-scale X]
[--sqs-endpoint URL] [--seller-id ID] ...``"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sandbox.amazon.generate import generate_orders
from sandbox.amazon.server import serve_forever
from sandbox.amazon.state import Faults, StandInConfig


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.amazon", description="Local SP-API stand-in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--orders", type=Path, help="JSON list of v2026-01-01 Order objects")
    source.add_argument("--generate", type=int, metavar="N", help="generate N realistic orders")
    source.add_argument(
        "--static-sandbox",
        action="store_true",
        help="answer only Amazon's x-amzn-api-sandbox examples (like Amazon's sandbox host)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="Amazon's clock runs this many times faster (rates, token lifetimes)",
    )
    parser.add_argument("--no-rate-limits", action="store_true")
    parser.add_argument("--token-lifetime", type=float, default=3600.0, help="LWA token lifetime, Amazon s")
    parser.add_argument("--client-id", default=StandInConfig.client_id)
    parser.add_argument("--client-secret", default=StandInConfig.client_secret)
    parser.add_argument("--refresh-token", default=StandInConfig.refresh_token)
    parser.add_argument("--linked-marketplaces", help="comma-separated: the marketplaces the seller is "
                        "registered in (default: all); an order search naming another answers 403")
    parser.add_argument("--p429", type=float, default=0.0)
    parser.add_argument("--p500", type=float, default=0.0)
    parser.add_argument("--p503", type=float, default=0.0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--p-timeout", type=float, default=0.0)
    parser.add_argument("--p-malformed", type=float, default=0.0)
    parser.add_argument("--p-truncated", type=float, default=0.0)
    parser.add_argument("--p-token-expiry", type=float, default=0.0)
    parser.add_argument("--sqs-endpoint", metavar="URL",
                        help="the SQS server (e.g. moto's) whose queues the notification destinations name")
    parser.add_argument("--seller-id", default=StandInConfig.seller_id,
                        help="the seller's id in the notifications (default %(default)s)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.orders:
        orders = json.loads(args.orders.read_text(encoding="utf-8"))
        if not isinstance(orders, list):
            print(f"{args.orders}: expected a JSON list of Order objects", file=sys.stderr)
            return 2
    elif args.generate is not None:
        orders = generate_orders(args.generate, args.seed)
    else:
        orders = []
    config = StandInConfig(
        client_id=args.client_id,
        client_secret=args.client_secret,
        refresh_token=args.refresh_token,
        time_scale=args.time_scale,
        token_lifetime=args.token_lifetime,
        enforce_rate_limits=not args.no_rate_limits,
        static_sandbox=args.static_sandbox,
        seller_id=args.seller_id,
        sqs_endpoint=args.sqs_endpoint,
        linked_marketplaces=tuple(args.linked_marketplaces.split(",")) if args.linked_marketplaces else None,
        faults=Faults(
            p429=args.p429,
            p500=args.p500,
            p503=args.p503,
            latency=args.latency,
            timeout_probability=args.p_timeout,
            malformed_probability=args.p_malformed,
            truncated_probability=args.p_truncated,
            token_expiry_probability=args.p_token_expiry,
        ),
    )
    print(
        f"SP-API stand-in on http://{args.host}:{args.port} with {len(orders)} orders "
        f"(time scale {args.time_scale:g}); notifications for seller {args.seller_id} "
        + (f"to the SQS server at {args.sqs_endpoint}" if args.sqs_endpoint
           else "cannot be delivered (no --sqs-endpoint)"),
        flush=True,
    )
    serve_forever(orders, config, args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
