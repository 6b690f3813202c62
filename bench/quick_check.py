"""The CI check: ratios of the quick profile against fixed thresholds; exit status 1 on a miss.

    python -m bench --quick --check     # runs amazon, dag_parse and shipments, then this

Each threshold is the target of BENCHMARKS.md plus a margin written next to it, for a noisy
2-core CI runner and only 2 rounds per cell (BENCHMARKS.md, Method, explains the margins).
Counts (calls, 429s) have no margin: they do not depend on the machine.
"""

from __future__ import annotations

import math

# Elapsed / token-bucket bound: the target is 1.05; +0.10 for a shared runner, where a page of 100
# orders costs 10–30 ms of CPU that a time scale of 200 multiplies into Amazon seconds.
RATIO_LIMIT = 1.05 + 0.10
# DAG parsing at 100 accounts: the target is 2 s; +50% for a CI runner slower than the reference machine
# (the same code measured 0.56 s parse-only there, 0.97 s when loaded).
DAG_ACCOUNTS, DAG_LIMIT_S = 100, 2.0 * 1.5
# Parse + serialisation at 100 accounts misses the 2 s target (BENCHMARKS.md: Airflow validates every
# task's copy of the DAG's Params with jsonschema, 5-10 s here). The CI check cannot hold it to a target it
# misses, so it guards against a regression instead: at most twice the 9.6 s measured on a loaded 2-core
# machine when the measurement was added. This is a regression guard, not the target.
DAG_SERIALISED_GUARD_S = 2 * 9.6


def _judge(failures: list[str], ok: bool, text: str) -> None:
    print(f"  {'ok  ' if ok else 'MISS'} {text}")
    if not ok:
        failures.append(text)


def check(results: dict) -> int:
    failures: list[str] = []
    print("== check (quick profile, thresholds in bench/quick_check.py)")
    rows = results.get("amazon", {}).get("rows", [])
    if not rows:
        failures.append("no Amazon fetch results")
    cases: dict[tuple, dict[str, dict]] = {}
    for row in rows:
        key = (row["group"], row["api_version"], row["orders"], row["time_scale"], row["conditions"])
        cases.setdefault(key, {})[row["client"]] = row
    for key, by_client in cases.items():
        ours = by_client.get("ours")
        if ours is None:
            continue
        name = f"{key[0]} {key[1]} {key[2]:,} orders x{key[3]:g} {key[4]}"
        calls, minimum = ours["calls"]["median"], ours["minimum_calls"]
        if key[4] == "plain":
            # Under other conditions (a bucket used before) a 429 or a retry is expected: printed only.
            _judge(failures, ours["calls"]["max"] == minimum, f"{name}: calls {calls:g} = minimum {minimum}")
            _judge(failures, ours["throttled_429"]["max"] == 0, f"{name}: 429s {ours['throttled_429']['max']:g} = 0")
        else:
            print(f"  info {name}: calls {calls:g} (minimum {minimum}), 429s {ours['throttled_429']['median']:g}")
        if ours.get("ratio") and key[4] == "plain" and ours["bound_s"] >= 1.0:
            ratio = ours["ratio"]["median"]
            _judge(failures, ratio <= RATIO_LIMIT, f"{name}: elapsed / bound {ratio:g} ≤ {RATIO_LIMIT:g}")
        library = by_client.get("library")
        if library is not None:
            theirs = library["calls"]["median"]
            verdict = "equal (both at minimum)" if calls == theirs == minimum else f"{calls:g} vs {theirs:g}"
            _judge(failures, calls <= theirs, f"{name}: calls not above the library's ({verdict})")
    for row in results.get("dag_parse", {}).get("rows", []):
        if row["accounts"] != DAG_ACCOUNTS:
            continue
        seconds = row["seconds"]["median"]
        _judge(failures, row["import_errors"] == 0, f"DAG parse at {DAG_ACCOUNTS} accounts: 0 import errors")
        parse = row["parse_s"]["median"]
        _judge(failures, parse < DAG_LIMIT_S, f"DAG parse at {DAG_ACCOUNTS} accounts: {parse:g} s < {DAG_LIMIT_S:g} s")
        _judge(failures, seconds < DAG_SERIALISED_GUARD_S,
               f"DAG parse + serialise at {DAG_ACCOUNTS} accounts: {seconds:g} s < {DAG_SERIALISED_GUARD_S:g} s "
               f"(regression guard; the 2 s target is missed, see BENCHMARKS.md)")
    shipments = results.get("shipments")
    if shipments:
        ratio = shipments["ratio_spread"]["median"]
        _judge(failures, not math.isnan(ratio) and ratio <= RATIO_LIMIT,
               f"shipments: elapsed / bound {ratio:g} ≤ {RATIO_LIMIT:g}")
        _judge(failures, max(shipments["throttled_429"]) == 0, f"shipments: 429s {max(shipments['throttled_429'])} = 0")
    if failures:
        print(f"{len(failures)} check(s) missed")
        return 1
    print("every check met")
    return 0
