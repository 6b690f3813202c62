"""Benchmark: parse and serialisation time of dags/ with 1, 100 and 500 Amazon accounts configured.

    python -m bench.dag_parse [--accounts 1,100,500] [--repeat 5]

For each size an accounts file is generated from the example's first account (ids
``acct_001``…, series 1…) and named by ``$AMAZON_ACCOUNTS_FILE``; each repetition is a fresh
process that imports Airflow first (not measured) and then times what the DAG processor does per
parse: ``DagBag(dag_folder="dags/")`` (examples off), then, for every DAG,
``DagSerialization.to_dict`` (``SerializedDAG`` in older releases) and the JSON text it sends to
its supervisor. The sizes are measured in interleaved rounds; median, min–max and n are reported.
Full profile (1, 100, 500 accounts, 5 rounds): about 2 minutes; quick (1, 100, 2 rounds): 20 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from bench.samples import interleaved, spread, spread_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "include" / "config" / "accounts.example.yaml"
WORKER = """
import json, sys, time
from airflow.models.dagbag import DagBag
try:
    from airflow.serialization.serialized_objects import DagSerialization as Serialization
except ImportError:
    from airflow.serialization.serialized_objects import SerializedDAG as Serialization
started = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
parsed = time.perf_counter()
size = sum(len(json.dumps(Serialization.to_dict(dag))) for dag in bag.dags.values())
done = time.perf_counter()
print(json.dumps({"seconds": done - started, "parse_s": parsed - started, "serialise_s": done - parsed,
                  "dags": len(bag.dags), "errors": len(bag.import_errors), "json_bytes": size}))
"""


def write_accounts(path: Path, count: int) -> None:
    example = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    template = example["accounts"][0]
    example["accounts"] = [
        template | {"id": f"acct_{n:03d}", "description": f"Account {n}", "orders_series": n}
        for n in range(1, count + 1)
    ]
    path.write_text(yaml.safe_dump(example, sort_keys=False), encoding="utf-8")


def parse_once(accounts_file: Path) -> dict:
    env = dict(
        os.environ,
        AMAZON_ACCOUNTS_FILE=str(accounts_file),
        PYTHONPATH=os.pathsep.join([str(ROOT / "include"), str(ROOT)]),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
    )
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(ROOT / "dags")], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"DagBag worker failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(sizes: list[int], repeat: int) -> list[dict]:
    results = []
    with tempfile.TemporaryDirectory(prefix="dag-parse-") as tmp:
        files = {}
        for count in sizes:
            files[count] = Path(tmp) / f"accounts_{count}.yaml"
            write_accounts(files[count], count)
        samples = interleaved({f"{count} accounts": (lambda f=files[count]: parse_once(f)) for count in sizes},
                              repeat, progress=lambda line: None)
        for count in sizes:
            runs = samples[f"{count} accounts"]
            result = {
                "accounts": count,
                "dags": runs[-1]["dags"],
                "import_errors": max(r["errors"] for r in runs),
                "seconds": spread([r["seconds"] for r in runs]),
                "parse_s": spread([r["parse_s"] for r in runs]),
                "serialise_s": spread([r["serialise_s"] for r in runs]),
                "json_kb": round(runs[-1]["json_bytes"] / 1024, 1),
            }
            results.append(result)
            print(f"  {count:>4} accounts: {result['dags']:>4} DAGs, "
                  f"parse + serialise {spread_text(result['seconds'])} s"
                  f" (parse {result['parse_s']['median']:g}, serialise {result['serialise_s']['median']:g}; "
                  f"{result['import_errors']} import errors)", flush=True)
    return results


SIZES = {"full": [1, 100, 500], "quick": [1, 100]}
TARGET_ACCOUNTS, TARGET_SECONDS = 100, 2.0


def run_section(profile: str, repeats: int) -> dict:
    return {"rows": run(SIZES[profile], repeats), "repeats": repeats}


def render_section(result: dict) -> list[str]:
    lines = ["### 4. DAG parsing and serialisation (DagBag of dags/ + DagSerialization.to_dict of each DAG, "
             "fresh process per run)", "",
             f"Median (min–max, n) of {result['repeats']} interleaved rounds, seconds.", ""]
    header = ["accounts", "DAGs", "import errors", "parse + serialise s", "parse s", "serialise s", "JSON KB",
              f"< {TARGET_SECONDS:g} s at {TARGET_ACCOUNTS}"]
    lines += ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in result["rows"]:
        target = ""
        if r["accounts"] == TARGET_ACCOUNTS:
            target = "met" if r["seconds"]["median"] < TARGET_SECONDS and not r["import_errors"] else "**missed**"
        cells = [r["accounts"], r["dags"], r["import_errors"], spread_text(r["seconds"]), spread_text(r["parse_s"]),
                 spread_text(r["serialise_s"]), r["json_kb"], target]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dag_parse", description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", default="1,100,500", help="comma-separated account counts")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    run([int(n) for n in args.accounts.split(",")], args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
