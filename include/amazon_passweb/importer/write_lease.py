"""One writer at a time per WebAPI user, whatever the Airflow pool, executor or number of workers.

Two pushes writing with the same WebAPI user at once could both search for an order (or a customer,
an address), find nothing, and both create it. The Airflow pool ``gestionale_webapi`` only limits how
many requests are in flight; exclusivity is this lease in the site database (``site.leases``), keyed by
the user's identity (``WebApiSettings.writer_key``: server, dominio, azienda, login; never the
password). Every path that writes to the gestionale takes it: the partial push, the sync's push and the
cancellations' revisions (``exclusive_writes``; nested calls in one process reuse the lease they hold).

- **Taken** atomically, held by ``holder`` (the run id, the step, the host and the process).
- **Renewed** every ``ttl / 4`` by a heartbeat thread while the push runs; **released** at its end.
- **A dead holder** stops renewing: its lease expires ``ttl`` after its last renewal.
- **Held by another**: the push waits up to ``wait``, logging who holds it, then gives up with
  ``GestionaleBusy``: nothing was written, its orders stay Registrato for the next run.
- **While held**, the client checks before every write (``GestionaleClient.guard_writes``) that the
  lease was renewed within ``ttl / 2``; otherwise (the database unreachable, the process stalled) it
  writes nothing more (``WritesNotExclusive``). The other half of ``ttl`` is the margin for a request
  already in flight and for clock differences between workers before anyone else may take it over.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from amazon_passweb.gestionale.client import GestionaleClient
from amazon_passweb.gestionale.errors import GestionaleBusy, WritesNotExclusive
from amazon_passweb.gestionale.settings import WebApiSettings
from amazon_passweb.site.leases import LeaseRecord
from amazon_passweb.site.unit_of_work import SiteStore

log = logging.getLogger(__name__)

HOLDER_LENGTH = 250  # gestionale_leases.holder


@dataclass(frozen=True)
class LeasePolicy:
    """``ttl``: how long a lease outlives its last renewal (a dead holder's, at most); ``wait``: how long a
    push waits for another holder before deferring; ``poll_seconds``: how often it asks meanwhile. From
    the connection: ``write_lease_ttl_s`` (default 120) and ``write_lease_wait_s`` (default 600)."""

    ttl: timedelta = timedelta(minutes=2)
    wait: timedelta = timedelta(minutes=10)
    poll_seconds: float = 2.0

    def __post_init__(self) -> None:
        if self.ttl < timedelta(seconds=1) or self.wait < timedelta(0) or self.poll_seconds <= 0:
            raise ValueError(f"a lease needs ttl >= 1 s, wait >= 0 and poll_seconds > 0: {self}")

    @classmethod
    def of(cls, settings: WebApiSettings) -> LeasePolicy:
        ttl = timedelta(seconds=settings.write_lease_ttl_s)
        return cls(ttl, timedelta(seconds=settings.write_lease_wait_s), min(2.0, ttl.total_seconds() / 4))

    @property
    def heartbeat_seconds(self) -> float:
        return self.ttl.total_seconds() / 4

    @property
    def valid_seconds(self) -> float:
        """How long after its last renewal the holder still writes."""
        return self.ttl.total_seconds() / 2


def lease_holder(run_id: str, step: str) -> str:
    """Who holds a lease, as the waiting push's log names it: run, step, host and process."""
    return f"{run_id}/{step}@{socket.gethostname()}:{os.getpid()}"[:HOLDER_LENGTH]


class WriteLease:
    """A lease this process holds; calling it is the client's write guard."""

    def __init__(self, store: SiteStore, key: str, holder: str, policy: LeasePolicy):
        self.store, self.key, self.holder, self.policy = store, key, holder, policy
        self._renewed = time.monotonic()
        self._lost = threading.Event()
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, name="gestionale-lease", daemon=True)

    def __call__(self) -> None:
        if self._lost.is_set():
            raise WritesNotExclusive(f"the gestionale write lease of {self.holder} was taken by another push")
        silent = time.monotonic() - self._renewed
        if silent > self.policy.valid_seconds:
            raise WritesNotExclusive(
                f"the gestionale write lease of {self.holder} was not renewed for {silent:.0f} s "
                f"(at most {self.policy.valid_seconds:.0f} s): another push may take it over")

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    def start(self) -> None:
        self._heartbeat.start()

    def stop_and_release(self) -> None:
        self._stop.set()
        if self._heartbeat.is_alive():
            self._heartbeat.join()
        if self._lost.is_set():
            return
        try:
            with self.store.unit_of_work() as uow:
                uow.leases.release(self.key, self.holder)
        except Exception:  # it expires by itself
            log.exception("could not release the gestionale write lease of %s: it expires by itself", self.holder)

    def _beat(self) -> None:
        while not self._stop.wait(self.policy.heartbeat_seconds):
            try:
                with self.store.unit_of_work() as uow:
                    renewed = uow.leases.renew(self.key, self.holder, self.policy.ttl)
            except Exception:  # the database unreachable: the guard stops writes when it lasts
                log.exception("could not renew the gestionale write lease of %s", self.holder)
                continue
            if not renewed:
                log.error("the gestionale write lease of %s was taken by another push: writing stops", self.holder)
                self._lost.set()
                return
            self._renewed = time.monotonic()


@contextmanager
def exclusive_writes(store: SiteStore, client: GestionaleClient, holder: str, *, policy: LeasePolicy | None = None,
                     sleep: Callable[[float], None] = time.sleep) -> Iterator[WriteLease]:
    """Hold the WebAPI user's write lease while the block runs; the client writes only while it is held.
    Raises ``GestionaleBusy`` when another push held it for the whole wait. Re-entrant: inside a block
    that already holds it for this client, it only yields that lease."""
    guard = client.write_guard
    if isinstance(guard, WriteLease) and guard.key == client.settings.writer_key:
        yield guard
        return
    policy = policy or LeasePolicy.of(client.settings)
    lease = _acquire(store, client.settings.writer_key, holder, policy, sleep)
    lease.start()
    try:
        with client.guard_writes(lease):
            yield lease
    finally:
        lease.stop_and_release()


def _acquire(store: SiteStore, key: str, holder: str, policy: LeasePolicy,
             sleep: Callable[[float], None]) -> WriteLease:
    deadline = time.monotonic() + policy.wait.total_seconds()
    seen: str | None = None
    while True:
        with store.unit_of_work() as uow:
            current = uow.leases.take(key, holder, policy.ttl)
        if current.holder == holder:
            if seen is not None:
                log.info("gestionale write lease taken by %s after waiting for %s", holder, seen)
            return WriteLease(store, key, holder, policy)
        if time.monotonic() >= deadline:
            log.warning("gestionale writes deferred: %s", _held(current))
            raise GestionaleBusy(f"another push writes with this WebAPI user: {_held(current)}; "
                                 f"waited {policy.wait.total_seconds():g} s")
        if current.holder != seen:
            log.info("waiting up to %.0f s for the gestionale write lease: %s", policy.wait.total_seconds(),
                     _held(current))
            seen = current.holder
        sleep(policy.poll_seconds)


def _held(lease: LeaseRecord) -> str:
    return (f"held by {lease.holder} since {lease.acquired_at:%Y-%m-%d %H:%M:%S} UTC, "
            f"until {lease.expires_at:%Y-%m-%d %H:%M:%S} UTC unless renewed")
