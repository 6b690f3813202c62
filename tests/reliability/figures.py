"""The reliability tests' figures: one line per test (or per dialect of a matrix), printed, and kept
as JSON under ``$RELIABILITY_FIGURES_DIR`` when it is set, for RELIABILITY.md.

    crash matrix [postgresql]: 15 kill points, 37 orders (of 70 generated), 0 duplicated, 0 lost, 61 s

The counts are read back from the databases (``reliability_fixtures.exactly_once_figures``) before
the test asserts, so a failing run still reports what it found. The lines are printed as they come
(seen with ``-s``) and again together in pytest's terminal summary, "reliability figures"
(``tests/reliability/conftest.py``).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

FIGURES_DIR_ENV = "RELIABILITY_FIGURES_DIR"
REPORTED: list[str] = []  # this session's lines, for the terminal summary


@dataclass
class Figure:
    """What one reliability test (or one dialect of a matrix) proved, and how long it took."""

    name: str  # "crash matrix [postgresql]"
    what: str = ""  # "15 kill points": what was done to the import
    orders: int = 0  # the orders each import had to bring in exactly once
    generated: int = 0  # the orders Amazon's stand-in held (the account imports some of them)
    duplicated: int = 0
    lost: int = 0
    seconds: float = 0.0
    cases: int = 0
    details: dict = field(default_factory=dict)

    def add(self, duplicated: int, lost: int) -> None:
        """One more case's read-back counts."""
        self.cases += 1
        self.duplicated += duplicated
        self.lost += lost

    @contextmanager
    def timed(self) -> Iterator[None]:
        began = time.monotonic()
        try:
            yield
        finally:
            self.seconds += time.monotonic() - began

    def line(self) -> str:
        orders = f"{self.orders} orders" + (f" (of {self.generated} generated)" if self.generated else "")
        return (f"{self.name}: {self.what}, {orders}, {self.duplicated} duplicated, {self.lost} lost, "
                f"{self.seconds:.0f} s")


def report(figure: Figure) -> None:
    """Print the figure's line; with ``$RELIABILITY_FIGURES_DIR`` set, also write it there as JSON."""
    REPORTED.append(figure.line())
    print(f"\n[reliability] {figure.line()}", flush=True)
    directory = os.environ.get(FIGURES_DIR_ENV)
    if not directory:
        return
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", figure.name.lower()).strip("-")
    data = {**asdict(figure), "seconds": round(figure.seconds, 1), "line": figure.line()}
    (path / f"{slug}.json").write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def record(name: str, **numbers) -> dict:
    """A figure that is not about one import's orders (a soak's faults, a leak scan's findings):
    ``figures <name>: k=v, ...``, printed and kept like :func:`report`'s; returns ``numbers``."""
    line = f"{name}: " + ", ".join(f"{key}={_compact(value)}" for key, value in numbers.items())
    REPORTED.append(line)
    print(f"\n[reliability] {line}", flush=True)
    directory = os.environ.get(FIGURES_DIR_ENV)
    if directory:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        data = {"name": name, **numbers, "line": line}
        (path / f"{slug}.json").write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    return numbers


def _compact(value) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return str(value)
