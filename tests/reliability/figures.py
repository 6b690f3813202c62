"""The figures a reliability test measured: one line on stdout and, when ``RELIABILITY_FIGURES_DIR`` is set,
``<dir>/<name>.json``, for RELIABILITY.md to collect.

    record("fault_soak_postgresql", orders=60, lost=0, duplicates=0, wall_s=61.2, faults={"429": 40})

Values are numbers, strings, or small dicts and lists of them (anything ``json`` writes). Standard library only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

DIR_ENV = "RELIABILITY_FIGURES_DIR"


def record(name: str, **numbers: Any) -> dict[str, Any]:
    """Print ``figures <name>: k=v, ...`` and write the JSON when asked; returns the figures."""
    print(f"figures {name}: " + ", ".join(f"{key}={_compact(value)}" for key, value in numbers.items()), flush=True)
    directory = os.environ.get(DIR_ENV)
    if directory:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        (path / f"{name}.json").write_text(json.dumps({"name": name, **numbers}, indent=2, sort_keys=True,
                                                      default=str) + "\n", encoding="utf-8")
    return numbers


def _compact(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return str(value)
