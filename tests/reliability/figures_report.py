"""The figures block of RELIABILITY.md, rewritten from the JSON the reliability tests left in a
directory (``figures.py``, ``$RELIABILITY_FIGURES_DIR``). ``make reliability`` runs the tests, then:

    python -m tests.reliability.figures_report var/reliability RELIABILITY.md --pytest-status 0

Only the text between the two markers is rewritten; what is around it is kept as written. The
block says when, on which commit (and whether the tree had changes) and on which machine the
figures were taken, and whether every test passed: a figure from a failed run is marked so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess  # nosec B404: git, to name the commit the figures belong to
from datetime import UTC, datetime
from pathlib import Path

START, END = "<!-- reliability:start -->", "<!-- reliability:end -->"


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout.strip()  # nosec
    except (OSError, subprocess.CalledProcessError):
        return ""


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def block(figures: list[dict], pytest_status: int) -> list[str]:
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = " (with uncommitted changes)" if _git("status", "--porcelain", "--untracked-files=no") else ""
    outcome = "every test passed" if pytest_status == 0 else f"**some tests failed** (pytest exit {pytest_status})"
    lines = [
        f"Taken on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit `{commit}`{dirty}, {_machine()}; "
        f"{outcome}.",
        "",
        "| figure | duplicated | lost | seconds |",
        "|---|---|---|---|",
    ]
    for figure in sorted(figures, key=lambda f: f["name"]):
        duplicated = figure.get("duplicated", figure.get("duplicates", "–"))
        seconds = figure.get("seconds", figure.get("wall_s", "–"))
        lines.append(f"| {figure['line']} | {duplicated} | {figure.get('lost', '–')} | {seconds} |")
    return [*lines, ""]


def rewrite(document: Path, figures: list[dict], pytest_status: int) -> None:
    text = document.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    document.write_text("\n".join([head + START, "", *block(figures, pytest_status), END]) + tail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figures_dir", type=Path)
    parser.add_argument("document", type=Path)
    parser.add_argument("--pytest-status", type=int, default=0)
    args = parser.parse_args(argv)
    figures = [json.loads(path.read_text()) for path in sorted(args.figures_dir.glob("*.json"))]
    if not figures:
        parser.error(f"no figures in {args.figures_dir}: did the reliability tests run?")
    rewrite(args.document, figures, args.pytest_status)
    print(f"{args.document}: {len(figures)} figures")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
