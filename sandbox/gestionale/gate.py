"""The stand-in's front door: outage, login with lockout, per-user concurrency cap, 503 bursts,
transient 5001/408 faults, latency and the Coordinate-Gestionale header, in front of every
/webapi/ request.

A plain ASGI wrapper (not middleware) so that the in-flight count is released right after the
response is written, before the client can send its next request.

Codes where the reference is silent, chosen here:
- a locked user gets 401 with code 3002 (the reference lists 2002 and 3002 among the refusals of
  credentials, without saying which one a lock gives);
- the pool-exhausted 503 carries 3002 ("exclusive use in progress / pool exhausted");
- the 5001 fault (dialogue WebAPI-gestionale interrupted) answers HTTP 500; both transient faults
  answer before the request reaches the archives, so nothing is stored.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
from collections import Counter
from dataclasses import dataclass, field

from sandbox.gestionale.errors import error_body
from sandbox.gestionale.faults import Faults

AUTH_RE = re.compile(r"^Passepartout\s+(?P<token>\S+)(?:\s+(?!Dominio=)\S+)?(?:\s+Dominio=(?P<dominio>\S+))?\s*$")


@dataclass
class AuthSettings:
    users: dict[str, str] = field(default_factory=lambda: {"webapi": "webapi"})
    dominio: str | None = "demo"
    aziende: tuple[str, ...] = ("DEMO",)
    max_concurrency: int = 5
    lockout_after: int = 3


async def send_json(send, status: int, body: dict | None, headers: list[tuple[bytes, bytes]] = ()) -> None:
    payload = json.dumps(body).encode() if body is not None else b""
    kind = [(b"content-type", b"application/json")] if body is not None else []
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*kind, (b"content-length", str(len(payload)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def drop_connection(scope, send) -> None:
    """Reset the client's TCP connection without an answer (see server.DroppableProtocol)."""
    transport = scope.get("state", {}).get("sandbox_transport")
    if transport is not None:
        transport.abort()
        await asyncio.sleep(0)  # let the server see the connection lost: the answer below goes nowhere
    await send_json(send, 503, None)


def parse_coordinates(value: str) -> dict[str, str]:
    return {k.lower(): v for k, v in re.findall(r"(\w+)=(\S+)", value)}


class Gate:
    def __init__(self, app, auth: AuthSettings, faults: Faults):
        self.app, self.auth, self.faults = app, auth, faults
        self.failed_logins: dict[str, int] = {}
        self.in_flight: dict[str, int] = {}
        self.stats: Counter[str] = Counter()  # requests, busy_503, burst_503, peak_in_flight

    def unlock(self, user: str | None = None) -> None:
        if user is None:
            self.failed_logins.clear()
        else:
            self.failed_logins.pop(user, None)

    def locked(self, user: str) -> bool:
        return self.failed_logins.get(user, 0) >= self.auth.lockout_after

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/webapi/"):
            return await self.app(scope, receive, send)

        async def refuse(status: int, code: int, message: str, detail: str | None = None, to=send) -> None:
            await send_json(to, status, error_body(scope, status, code, message, detail))

        if self.faults.in_outage():
            if self.faults.outage_mode == "503":
                return await refuse(503, 503, "servizio non disponibile")
            return await drop_connection(scope, send)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        user, refusal = self._login(headers.get("authorization", ""))
        if refusal:
            return await refuse(401, *refusal)
        self.stats["requests"] += 1
        busy = self.in_flight.get(user, 0) >= self.auth.max_concurrency
        if busy or self.faults.pool_busy() or self.faults.take("fail_503_next"):
            self.stats["busy_503" if busy else "burst_503"] += 1
            detail = f"massimo {self.auth.max_concurrency} richieste contemporanee per l'utente"
            return await refuse(503, 3002, "pool di servizi esaurito", detail)
        if self.faults.take("fail_5001_next"):
            return await refuse(500, 5001, "dialogo WebAPI-gestionale interrotto")
        if self.faults.take("fail_408_next"):
            return await refuse(408, 408, "elaborazione troppo lunga")
        self.in_flight[user] = self.in_flight.get(user, 0) + 1
        self.stats["peak_in_flight"] = max(self.stats["peak_in_flight"], self.in_flight[user])
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.in_flight[user] -= 1

        loop = asyncio.get_running_loop()
        answer_at = loop.time() + self.faults.latency_s

        async def send_then_release(message) -> None:
            if message["type"] == "http.response.start" and answer_at > loop.time():
                # injected latency is the request's whole time on the server, processing included
                await asyncio.sleep(answer_at - loop.time())
            await send(message)
            # the slot frees as the answer's last byte is written, as the client sees it
            if message["type"] == "http.response.body" and not message.get("more_body"):
                release()

        try:
            problem = self._check_coordinates(headers.get("coordinate-gestionale"))
            if problem:
                return await refuse(400, 1001, "coordinate gestionale non valide", problem, to=send_then_release)
            scope.setdefault("state", {})["coordinates"] = parse_coordinates(headers["coordinate-gestionale"])
            await self.app(scope, receive, send_then_release)
        finally:
            release()

    def _login(self, header: str) -> tuple[str, tuple | None]:
        match = AUTH_RE.match(header)
        try:
            user, _, password = base64.b64decode(match["token"], validate=True).decode().partition(":")
        except (TypeError, binascii.Error, UnicodeDecodeError):
            return "", (2002, "autenticazione non valida", "header Authorization mancante o malformato")
        if self.locked(user):
            return user, (3002, "utente bloccato", f"utente {user} bloccato per troppi tentativi di accesso falliti")
        if self.auth.users.get(user) != password or (self.auth.dominio and match["dominio"] != self.auth.dominio):
            self.failed_logins[user] = self.failed_logins.get(user, 0) + 1
            return user, (2002, "autenticazione non valida", "utente, password o dominio errati")
        self.failed_logins.pop(user, None)
        return user, None

    def _check_coordinates(self, value: str | None) -> str | None:
        if not value:
            return "header Coordinate-Gestionale mancante"
        coordinates = parse_coordinates(value)
        if coordinates.get("azienda") not in self.auth.aziende:
            return f"azienda {coordinates.get('azienda')!r} inesistente"
        if not re.fullmatch(r"\d{4}", coordinates.get("anno", "")):
            return "anno mancante o non valido"
        if "magazzino" in coordinates and not coordinates["magazzino"].isdigit():
            return "magazzino non valido"
        return None
