"""The tables of BENCHMARKS.md, generated from bench/results.json.

Only the part between the two markers is rewritten: the text around it (method, profiles,
proposed fixes) is kept as written.
"""

from __future__ import annotations

from pathlib import Path

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines + [""]


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _machine(m: dict) -> list[str]:
    return [
        f"Ran on {m['date']}: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, "
        f"Python {m['python']}, {m['os']}, Airflow {m['airflow']}, "
        f"python-amazon-sp-api {m['python-amazon-sp-api']}.",
        "",
    ]


def _amazon(rows: list[dict]) -> list[str]:
    lines = ["### 1. Amazon fetch efficiency (default usage plans, stand-in clock sped up by the time scale)", ""]
    body = [
        [r["api_version"], f"{r['requested']:,}", r["client"], f"{r['time_scale']:g}", r["calls"],
         r["minimum_calls"], r["throttled_429"], r["elapsed_s"], r["bound_s"], r["ratio"]]
        for r in rows
    ]
    lines += _table(["API", "orders", "client", "scale", "calls", "min calls", "429s", "elapsed s", "bound s",
                     "elapsed / bound"], body)
    ours = {(r["api_version"], r["requested"], r["time_scale"]): r for r in rows if r["client"] == "ours"}
    library = {(r["api_version"], r["requested"], r["time_scale"]): r for r in rows if r["client"] != "ours"}
    for key, r in ours.items():
        other = library.get(key)
        ok_ratio = r["bound_s"] == 0 or r["ratio"] <= 1.05
        # Where both make the minimum number of calls, "fewer" cannot apply: no more calls then.
        fewer = other is not None and (r["calls"] < other["calls"] or r["calls"] == r["minimum_calls"])
        beats = fewer and r["elapsed_s"] < other["elapsed_s"]
        lines.append(
            f"- {key[0]}, {key[1]:,} orders, scale {key[2]:g}: "
            f"minimum calls {_mark(r['calls'] == r['minimum_calls'])}, "
            f"no 429 {_mark(r['throttled_429'] == 0)}, ≤ 1.05 × bound {_mark(ok_ratio)}, "
            f"fewer calls (or both at the minimum) and less time than the library {_mark(beats)}"
        )
    return lines + [""]


def _import(rows: list[dict]) -> list[str]:
    lines = ["### 2. Import throughput (inbox → reconciled → site orders, 100,000 existing customers)", ""]
    body = [
        [r["dialect"], f"{r['orders']:,}", f"{r['customers']:,}", r["site_orders"], r["elapsed_s"],
         r["orders_per_s"], r["peak_rss_mb"], r["base_rss_mb"],
         " / ".join(str(v) for v in r["steps_s"].values())]
        for r in rows
    ]
    lines += _table(["database", "orders", "customers", "site orders", "elapsed s", "orders/s", "peak RSS MB",
                     "RSS before steps MB", "fetch / select / reconcile / create s"], body)
    for dialect in sorted({r["dialect"] for r in rows}):
        mine = [r for r in rows if r["dialect"] == dialect]
        slowest = min(r["orders_per_s"] for r in mine)
        peaks = [r["peak_rss_mb"] for r in mine]
        lines.append(f"- {dialect}: ≥ 500 orders/s {_mark(slowest >= 500)} (slowest {slowest}); memory flat "
                     f"and < 300 MB {_mark(max(peaks) < 300 and max(peaks) - min(peaks) < 50)} "
                     f"(peaks {', '.join(str(p) for p in peaks)} MB)")
    return lines + [""]


def _gestionale(rows: list[dict]) -> list[str]:
    lines = ["### 3. Gestionale push (5 requests in flight, injected latency)", ""]
    body = [[r["latency_ms"], f"{r['documents']:,}", r["docs_per_s"], r["bound_docs_per_s"],
             f"{r['share_of_bound']:.1%}", _mark(r["share_of_bound"] >= 0.9)] for r in rows]
    return lines + _table(["latency ms", "documents", "docs/s", "bound 5/latency", "share of bound",
                           "≥ 90%"], body)


def _dag_parse(rows: list[dict]) -> list[str]:
    lines = ["### 4. DAG parsing (DagBag of dags/, fresh process per run, median)", ""]
    body = [[r["accounts"], r["dags"], r["import_errors"], r["median_s"], ", ".join(map(str, r["runs_s"])),
             _mark(r["median_s"] < 2) if r["accounts"] >= 100 else ""] for r in rows]
    return lines + _table(["accounts", "DAGs", "import errors", "median s", "runs s", "< 2 s at 100"], body)


def _shipments(result: dict) -> list[str]:
    header = ["Packages", "Time scale", "Samples", "Rate per Amazon s (median)", "Bound", "Ratio to bound",
              "429s"]
    row = [result["packages"], result["time_scale"], result["samples"], result["median_rate_per_amazon_s"],
           result["bound_rate_per_amazon_s"], " / ".join(str(r) for r in result["ratio"]),
           " / ".join(str(n) for n in result["throttled_429"])]
    return ["### 5. Shipment confirmations (confirmShipment, 2/s burst 10)", "", *_table(header, [row]), ""]


def render(results: dict) -> str:
    lines = [START, ""]
    lines += _machine(results["machine"])
    if results.get("quick"):
        lines += ["**Quick run (small sizes): not the reference numbers.**", ""]
    for key, section in (("amazon", _amazon), ("import", _import), ("gestionale", _gestionale),
                         ("dag_parse", _dag_parse), ("shipments", _shipments)):
        if key in results:
            lines += section(results[key])
    durations = results.get("durations_s", {})
    if durations:
        lines += ["Run time per section (s): " + ", ".join(f"{k} {v}" for k, v in durations.items()), ""]
    load = results.get("load_average_after", {})
    if load:
        lines += [f"5-minute load average after each section ({results['machine']['cores']} cores): "
                  + ", ".join(f"{k} {v}" for k, v in load.items()), ""]
    return "\n".join(lines + [END])


def write_markdown(results: dict, path: Path) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    path.write_text(before + render(results) + after, encoding="utf-8")
