"""A local SMTP server that writes every message it receives to an ``.eml`` file.

Used by the demo and the tests in place of the merchant's mail server:
``python -m sandbox.mailsink --port 8025 --dir var/mail``.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO


class _EmlWriter:
    def __init__(self, directory: Path):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        with self._lock:
            name = f"{time.strftime('%Y%m%d-%H%M%S')}-{next(self._counter):04d}.eml"
        (self.directory / name).write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


class MailSink:
    """Start with ``with MailSink(dir) as sink:``; ``sink.port`` is the SMTP port."""

    def __init__(self, directory: str | Path, host: str = "127.0.0.1", port: int = 0):
        self.directory = Path(directory)
        self.host = host
        self._controller = Controller(_EmlWriter(self.directory), hostname=host, port=port or _free_port())

    @property
    def port(self) -> int:
        return self._controller.port

    def messages(self) -> list[Path]:
        return sorted(self.directory.glob("*.eml"))

    def start(self) -> MailSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
