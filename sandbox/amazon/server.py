"""Run the stand-in on a real socket: in a background thread for tests, or in the foreground for the CLI."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
import uvicorn
from fastapi import FastAPI

from sandbox.amazon.app import create_app
from sandbox.amazon.state import Faults, StandInConfig, StandInState


@dataclass
class RunningStandIn:
    base_url: str
    config: StandInConfig
    state: StandInState

    @property
    def lwa_endpoint(self) -> str:
        return f"{self.base_url}/auth/o2/token"

    def set_faults(self, faults: Faults) -> None:
        self.state.set_faults(faults)

    def cancel_order(self, order_id: str, cancelled_by: str = "BUYER", *,
                     updated_at: datetime | None = None) -> dict[str, Any]:
        """Cancel an imported order through the control endpoint, as a buyer (or Amazon) would;
        ``updated_at``: its new lastUpdatedTime (default now)."""
        body = {"cancelledBy": cancelled_by} | ({"lastUpdatedTime": updated_at.isoformat()} if updated_at else {})
        response = requests.post(f"{self.base_url}/_standin/orders/{order_id}/cancel", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def request_cancellation(self, order_id: str, *, updated_at: datetime | None = None) -> dict[str, Any]:
        """The buyer asks to cancel an imported, unshipped order, through the control endpoint."""
        body = {"lastUpdatedTime": updated_at.isoformat()} if updated_at else {}
        response = requests.post(f"{self.base_url}/_standin/orders/{order_id}/cancel-request", json=body,
                                 timeout=10)
        response.raise_for_status()
        return response.json()

    def patch_order(self, order_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        """Change an order after import with a JSON merge patch (``POST /_sandbox/orders/{orderId}``)."""
        response = requests.post(f"{self.base_url}/_sandbox/orders/{order_id}", json=patch, timeout=10)
        response.raise_for_status()
        return response.json()

    def place_orders(self, count: int, *, seed: int | None = None,
                     fulfilled_by: str | None = None) -> list[str]:
        """New orders placed now (``POST /_sandbox/orders``); their ids."""
        body: dict[str, Any] = {"count": count}
        if seed is not None:
            body["seed"] = seed
        if fulfilled_by:
            body["fulfilledBy"] = fulfilled_by
        response = requests.post(f"{self.base_url}/_sandbox/orders", json=body, timeout=10)
        response.raise_for_status()
        return response.json()["orderIds"]

    def set_notification_faults(self, **faults: Any) -> None:
        """``PUT /_standin/notification-faults``: duplicate, drop, delay_max_s, seed, drop_next, duplicate_next."""
        response = requests.put(f"{self.base_url}/_standin/notification-faults", json=faults, timeout=10)
        response.raise_for_status()

    def notifications(self) -> dict[str, Any]:
        """``GET /_standin/notifications``: counts and the notifications sent."""
        response = requests.get(f"{self.base_url}/_standin/notifications", timeout=10)
        response.raise_for_status()
        return response.json()

    def settings_kwargs(self) -> dict[str, Any]:
        """What an ``SpApiSettings`` needs to talk to this stand-in."""
        return {
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret,
            "refresh_token": self.config.refresh_token,
            "endpoint": self.base_url,
            "lwa_endpoint": self.lwa_endpoint,
            "time_scale": self.config.time_scale,
        }


def _server(config: StandInConfig, orders: list[dict[str, Any]]) -> tuple[uvicorn.Server, FastAPI]:
    app = create_app(config, orders)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=30)
    )
    return server, app


@contextmanager
def running_standin(
    orders: list[dict[str, Any]], config: StandInConfig | None = None, host: str = "127.0.0.1"
) -> Iterator[RunningStandIn]:
    """Serve ``orders`` on a free localhost port for the duration of the block."""
    config = config or StandInConfig()
    server, app = _server(config, orders)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=f"sp-api-standin-{port}"
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the SP-API stand-in did not start")
        time.sleep(0.01)
    try:
        yield RunningStandIn(f"http://{host}:{port}", config, app.state.standin)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.state.publisher.close()


def serve_forever(orders: list[dict[str, Any]], config: StandInConfig, host: str, port: int) -> None:
    server, app = _server(config, orders)
    server.config.host, server.config.port = host, port
    try:
        server.run()
    finally:
        app.state.publisher.close()
