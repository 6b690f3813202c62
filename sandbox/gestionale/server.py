"""Serving the stand-in: a real uvicorn HTTP server, in a thread (tests) or as a process (CLI)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn

from sandbox.gestionale.app import StandIn
from sandbox.gestionale.gate import AuthSettings

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _BaseProtocol
except ImportError:  # httptools is optional in uvicorn
    from uvicorn.protocols.http.h11_impl import H11Protocol as _BaseProtocol


class DroppableProtocol(_BaseProtocol):
    """Exposes the connection's transport to the app (scope["state"]["sandbox_transport"])
    so that fault injection can drop a connection after committing, as a crashed network would."""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.app_state = {**self.app_state, "sandbox_transport": transport}


def uvicorn_config(
    standin: StandIn, host: str = "127.0.0.1", port: int = 0, tls: tuple[str, str] | None = None
) -> uvicorn.Config:
    """``tls``: (certificate file, key file) to serve HTTPS."""
    return uvicorn.Config(
        standin,
        host=host,
        port=port,
        http=DroppableProtocol,
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_keep_alive=30,
        ssl_certfile=str(tls[0]) if tls else None,
        ssl_keyfile=str(tls[1]) if tls else None,
    )


@dataclass
class RunningStandIn:
    standin: StandIn
    base_url: str  # ends in /webapi/
    port: int

    @property
    def store(self):
        return self.standin.store

    @property
    def faults(self):
        return self.standin.faults


@contextlib.contextmanager
def running_standin(
    data_dir, auth: AuthSettings | None = None, catalogue_rows=None, *, tls: tuple[str, str] | None = None, **options
) -> Iterator[RunningStandIn]:
    """Start the stand-in on a free localhost port in a background thread; stop it on exit.
    ``tls`` = (cert file, key file) serves HTTPS; ``options`` go to StandIn (customer_auto, tables, ...)."""
    standin = StandIn(data_dir, auth=auth, catalogue_rows=catalogue_rows, **options)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(standin, port=port, tls=tls))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="gestionale-standin")
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the gestionale stand-in did not start")
        time.sleep(0.01)
    try:
        yield RunningStandIn(standin, f"{'https' if tls else 'http'}://127.0.0.1:{port}/webapi/", port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        standin.store.close()
