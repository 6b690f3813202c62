"""Benchmark: parse time of dags/ with 1, 10 and 100 Amazon accounts configured.

    python -m bench.dag_parse [--accounts 1,10,100] [--repeat 5]

For each size an accounts file is generated from the example's first account (ids
``acct_001``…, series 1…) and named by ``$AMAZON_ACCOUNTS_FILE``; each repetition is a fresh
process that imports Airflow first (not measured) and then times
``DagBag(dag_folder="dags/")`` (examples off): what the DAG processor pays per parse.
The median of the repetitions is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "include" / "config" / "accounts.example.yaml"
WORKER = """
import json, sys, time
from airflow.models.dagbag import DagBag
started = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "dags": len(bag.dags), "errors": len(bag.import_errors)}))
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
        for count in sizes:
            accounts_file = Path(tmp) / f"accounts_{count}.yaml"
            write_accounts(accounts_file, count)
            runs = [parse_once(accounts_file) for _ in range(repeat)]
            seconds = [r["seconds"] for r in runs]
            result = {
                "accounts": count,
                "dags": runs[-1]["dags"],
                "import_errors": runs[-1]["errors"],
                "median_s": round(statistics.median(seconds), 3),
                "runs_s": [round(s, 3) for s in seconds],
            }
            results.append(result)
            print(f"  {count:>4} accounts: {result['dags']:>4} DAGs, median {result['median_s']:.3f} s "
                  f"over {repeat} runs ({result['import_errors']} import errors)", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dag_parse", description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", default="1,10,100", help="comma-separated account counts")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    run([int(n) for n in args.accounts.split(",")], args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
