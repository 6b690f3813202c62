"""Run every benchmark; write bench/results.json and the tables of BENCHMARKS.md.

    python -m bench                  # full profile, what `make bench` runs: 5 interleaved rounds per cell,
                                     # about 55 minutes on 2 cores without e2e_airflow (Amazon fetch 45,
                                     # DAG parsing 3-6, import 3, shipments 1, gestionale 0.5)
    python -m bench --quick          # quick profile (2 rounds, small cells), to check the wiring, about
                                     # 4 minutes; writes var/bench-quick/ instead of the committed files
    python -m bench --quick --check  # the CI check: amazon, dag_parse, shipments; prints the figures,
                                     # checks them against bench/quick_check.py's thresholds, exit 1 on a miss
    python -m bench --only import,push    # some sections; the others keep their last results
    python -m bench --only notifications  # order → Memorizzato latency through notifications: 2 layouts × 2
                                          # streams of 20 minutes (quick: 3) plus start-ups, about 1.5 hours
                                          # (quick: about 25 minutes)

Sections are a registry: a module with ``run_section(profile, repeats) -> dict`` and
``render_section(result) -> list[str]`` plugs in. A module that is not there is skipped with a
message.
``--results PATH`` (or ``$BENCH_RESULTS``) writes the results elsewhere; BENCHMARKS.md is then
written next to them.

Needs the benchmark-only packages: pip install -r bench/requirements.txt
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.report import write_markdown

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
MARKDOWN = ROOT / "BENCHMARKS.md"
QUICK_DIR = ROOT / "var" / "bench-quick"
CHECK_DIR = ROOT / "var" / "bench-check"
REPEATS = {"full": 5, "quick": 2}



@dataclass(frozen=True)
class Section:
    name: str
    module: str


SECTIONS = (
    Section("amazon", "bench.amazon_cells"),
    Section("import", "bench.import_throughput"),
    Section("push", "bench.push_paths"),
    Section("dag_parse", "bench.dag_parse"),
    Section("shipments", "bench.shipment_confirmations"),
    Section("e2e_airflow", "bench.e2e_airflow"),
    Section("notifications", "bench.notification_latency"),
)
CHECKED = ("amazon", "dag_parse", "shipments")


def load(section: Section):
    """The section's module, or None (with the reason printed) when it is not there yet."""
    try:
        return importlib.import_module(section.module)
    except ModuleNotFoundError as missing:
        if missing.name not in (section.module, *section.module.split(".")[:1]):
            raise
        print(f"== {section.name}: skipped, {section.module} does not exist yet", flush=True)
        return None


def run_one(section: Section, module, profile: str, repeats: int) -> dict:
    if not hasattr(module, "run_section"):
        raise RuntimeError(f"{section.module} has no run_section(profile, repeats)")
    return module.run_section(profile, repeats)


def renderers() -> dict[str, Callable[[dict], list[str]]]:
    """render_section of every section whose module has one (imported lazily, missing ones left out)."""
    found = {}
    for section in SECTIONS:
        try:
            module = importlib.import_module(section.module)
        except ModuleNotFoundError:
            continue
        if hasattr(module, "render_section"):
            found[section.name] = module.render_section
    return found


def git_state() -> dict:
    def git(*command: str) -> str:
        done = subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    status = git("status", "--porcelain")
    return {"commit": git("rev-parse", "HEAD") or "unknown", "dirty": bool(status)}


def machine() -> dict:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024**2, 1),
        "python": platform.python_version(),
        "os": platform.platform(terse=True),
        "airflow": installed("apache-airflow"),
        "python-amazon-sp-api": installed("python-amazon-sp-api"),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="quick profile: small cells, 2 rounds")
    parser.add_argument("--check", action="store_true",
                        help="CI check: quick profile of amazon, dag_parse and shipments, judged against "
                             "bench/quick_check.py's thresholds; writes only under var/bench-check/")
    names = tuple(section.name for section in SECTIONS)
    parser.add_argument("--only", help=f"comma-separated subset of {names}")
    parser.add_argument("--repeats", type=int, help="rounds per cell (default 5 full, 2 quick)")
    parser.add_argument("--results", type=Path, default=os.environ.get("BENCH_RESULTS") or None,
                        help="where to write results.json (default bench/results.json; var/bench-quick/ "
                             "with --quick, var/bench-check/ with --check)")
    args = parser.parse_args(argv)
    profile = "quick" if args.quick or args.check else "full"
    repeats = args.repeats or REPEATS[profile]
    if repeats < REPEATS[profile] and not args.check:
        print(f"note: {repeats} rounds is fewer than the {profile} profile's {REPEATS[profile]}")
    only = set((args.only or ",".join(CHECKED if args.check else names)).split(","))
    unknown = only - set(names)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; known: {names}")
    default_dir = CHECK_DIR if args.check else QUICK_DIR if profile == "quick" else None
    results_path = Path(args.results) if args.results else (default_dir / "results.json" if default_dir else RESULTS)
    markdown_path = MARKDOWN if results_path == RESULTS else results_path.with_name("BENCHMARKS.md")
    results_path.parent.mkdir(parents=True, exist_ok=True)
    if markdown_path != MARKDOWN and not markdown_path.exists():
        shutil.copyfile(MARKDOWN, markdown_path)

    partial = only != set(names)
    results = json.loads(results_path.read_text()) if results_path.exists() and partial else {}
    results.update(machine=machine(), git=git_state(), profile=profile, quick=profile == "quick",
                   repeats=repeats)
    results.pop("section_api", None)
    for section in SECTIONS:
        if section.name not in only:
            continue
        module = load(section)
        if module is None:
            results.pop(section.name, None)
            results.setdefault("skipped", {})[section.name] = f"{section.module} does not exist yet"
            continue
        print(f"== {section.name} ({profile}, {repeats} rounds)", flush=True)
        started = time.perf_counter()
        results[section.name] = run_one(section, module, profile, repeats)
        results.get("skipped", {}).pop(section.name, None)
        results.setdefault("durations_s", {})[section.name] = round(time.perf_counter() - started, 1)
        # Other work on the machine skews every number: keep the 5-minute load average with them.
        results.setdefault("load_average_after", {})[section.name] = round(os.getloadavg()[1], 2)
        results_path.write_text(json.dumps(results, indent=2) + "\n")
    write_markdown(results, markdown_path, renderers())
    print(f"wrote {results_path} and {markdown_path}")
    if args.check:
        from bench.quick_check import check

        return check(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
