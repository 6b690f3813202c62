"""Repeated samples: cells measured in interleaved rounds, summarised by median and spread.

Interleaving (round 1: A, B, C; round 2: A, B, C; …) spreads slow drifts of the machine (another
process, thermal state, a cache warming) over every cell instead of landing on one of them.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from typing import Any


def interleaved(cells: Mapping[str, Callable[[], Any]], repeats: int,
                progress: Callable[[str], None] = print) -> dict[str, list[Any]]:
    """Run every cell once per round, ``repeats`` rounds; each cell's results in round order."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}")
    samples: dict[str, list[Any]] = {name: [] for name in cells}
    for round_number in range(1, repeats + 1):
        for name, measure in cells.items():
            samples[name].append(measure())
            progress(f"  round {round_number}/{repeats} {name}: {samples[name][-1]}")
    return samples


def spread(values: list[float], digits: int = 3) -> dict[str, float | int]:
    """Median, minimum, maximum and sample count of one cell's values."""
    if not values:
        raise ValueError("no samples")
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "n": len(values),
    }


def spread_text(summary: Mapping[str, float | int]) -> str:
    """``1.23 (1.20–1.31, n=5)``: median, then the range of the samples."""
    return f"{summary['median']:g} ({summary['min']:g}–{summary['max']:g}, n={summary['n']})"
