"""Fault injection for the stand-in, settable in-process or through POST /_sandbox/faults."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, fields


@dataclass
class Faults:
    latency_s: float = 0.0  # every WebAPI answer leaves no earlier than this after its request arrived
    fail_503_next: int = 0  # the next N requests answer 503 (a burst)
    outage_s: float = 0.0  # setting it opens an outage window of that many seconds from now
    outage_mode: str = "drop"  # during the outage: "drop" resets connections, "503" answers 503
    # setting it makes the service pool busy for that many seconds from now: every request answers
    # 503 3002, as when other clients hold all of the WebAPI's slots (a burst in time, not in count)
    busy_s: float = 0.0
    drop_before_commit_next: int = 0  # the next N creates drop the connection without storing
    drop_after_commit_next: int = 0  # the next N creates commit, then the connection is dropped
    drop_after_revision_next: int = 0  # the next N revisions (PUT) are applied, then the connection is dropped
    hang_after_commit_next: int = 0  # the next N creates commit, then the answer is held back
    hang_s: float = 5.0
    # the next N creates answer nothing (the connection is held until the client gives up, then
    # dropped) and commit commit_late_s seconds after the request arrived
    commit_late_next: int = 0
    commit_late_s: float = 2.0
    fail_5001_next: int = 0  # the next N requests answer 500 "5001 - dialogo interrotto" (transient)
    fail_408_next: int = 0  # the next N requests answer 408 (elaborazione troppo lunga)
    _outage_until: float = field(default=0.0, repr=False)
    _busy_until: float = field(default=0.0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, **values: object) -> None:
        with self._lock:
            for name, value in values.items():
                if name.startswith("_") or not hasattr(self, name):
                    raise ValueError(f"unknown fault {name!r}")
                setattr(self, name, type(getattr(self, name))(value))
            if "outage_s" in values:
                self._outage_until = time.monotonic() + float(values["outage_s"])
            if "busy_s" in values:
                self._busy_until = time.monotonic() + float(values["busy_s"])

    def clear(self) -> None:
        defaults = Faults()
        self.update(**{f.name: getattr(defaults, f.name) for f in fields(self) if not f.name.startswith("_")})

    def in_outage(self) -> bool:
        return time.monotonic() < self._outage_until

    def pool_busy(self) -> bool:
        return time.monotonic() < self._busy_until

    def take(self, name: str) -> bool:
        """Consume one unit of a counted fault; True when it applies to this request."""
        with self._lock:
            remaining = getattr(self, name)
            if remaining > 0:
                setattr(self, name, remaining - 1)
                return True
            return False

    def snapshot(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        data["in_outage"] = self.in_outage()
        return data
