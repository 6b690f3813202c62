"""Records every WebAPI request the stand-in receives, as the client sent it, one JSON line each.

Enabled by the environment variable GESTIONALE_REQUEST_LOG (a file path), so the stand-ins
started as processes by the end-to-end tests record too. The conformance test
(tests/conformance) checks each recorded request against the published WebAPI description,
independently of what the stand-in accepted. Credentials are never written: the
Authorization header is kept as its scheme and its Dominio part only.
"""

from __future__ import annotations

import json
import os

LOG_ENV = "GESTIONALE_REQUEST_LOG"


def redact_authorization(value: str) -> str:
    """"Passepartout <token>[ <token>][ Dominio=x]" -> "Passepartout <credentials>[ Dominio=x]"."""
    words = value.split()
    if not words:
        return ""
    kept = [word for word in words[1:] if word.startswith("Dominio=")]
    return " ".join([words[0], "<credentials>", *kept])


class RequestRecorder:
    """ASGI wrapper: reads the request body, appends the record, replays the body to the app."""

    def __init__(self, app, path: str | None = None):
        self.app = app
        self.path = path if path is not None else os.environ.get(LOG_ENV) or None

    async def __call__(self, scope, receive, send):
        if not self.path or scope["type"] != "http" or not scope["path"].startswith("/webapi/"):
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":  # the client gave up before sending it all
                await self.app(scope, _disconnected, send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        if "authorization" in headers:
            headers["authorization"] = redact_authorization(headers["authorization"])
        record = {
            "method": scope["method"],
            "path": scope.get("raw_path", scope["path"].encode()).decode("latin-1"),
            "query": scope.get("query_string", b"").decode("latin-1"),
            "headers": headers,
            "body": body.decode("utf-8", "replace"),
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)  # one append per request: lines from several processes never mix
        finally:
            os.close(fd)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _disconnected():
    return {"type": "http.disconnect"}
