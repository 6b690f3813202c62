"""The tables of BENCHMARKS.md, generated from bench/results.json.

Only the part between the two markers is rewritten: the text around it (method, profiles,
proposed fixes) is kept as written. Sections with ``render_section`` render themselves (cells as
median (min–max, n), targets judged on the medians); the import and gestionale tables below are
for results made through __main__'s adapter until those modules gain their own.
"""

from __future__ import annotations

from collections.abc import Callable
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


LEGACY = {"import": _import, "gestionale": _gestionale}
ORDER = ("amazon", "import", "gestionale", "dag_parse", "shipments", "e2e_airflow", "notifications")


def _provenance(results: dict) -> list[str]:
    git = results.get("git", {})
    commit = git.get("commit", "unknown")
    tree = "with uncommitted changes" if git.get("dirty") else "clean tree"
    return [f"Commit {commit[:12]} ({tree}), {results.get('profile', 'full')} profile, "
            f"{results.get('repeats', '?')} interleaved rounds per cell.", ""]


def render(results: dict, renderers: dict[str, Callable[[dict], list[str]]] | None = None) -> str:
    renderers = renderers or {}
    lines = [START, ""]
    lines += _machine(results["machine"])
    lines += _provenance(results)
    if results.get("quick"):
        lines += ["**Quick run (small sizes): not the reference numbers.**", ""]
    api = results.get("section_api", {})
    for key in ORDER:
        if key not in results:
            continue
        result = results[key]
        if key in renderers and (api.get(key) == "run_section" or key not in LEGACY):
            lines += renderers[key](result)
        elif key in LEGACY:
            rows = result["legacy_rows"] if isinstance(result, dict) else result
            lines += LEGACY[key](rows)
            lines += ["One run per cell (this section has no repeated cells yet).", ""]
        elif key not in api:
            lines += [f"({key}: results in an older format, not shown; run this section again)", ""]
        else:
            lines += [f"({key}: no renderer available)", ""]
    for key, why in results.get("skipped", {}).items():
        lines += [f"Section {key} skipped: {why}.", ""]
    durations = results.get("durations_s", {})
    if durations:
        lines += ["Run time per section (s): " + ", ".join(f"{k} {v}" for k, v in durations.items()), ""]
    load = results.get("load_average_after", {})
    if load:
        lines += [f"5-minute load average after each section ({results['machine']['cores']} cores): "
                  + ", ".join(f"{k} {v}" for k, v in load.items()), ""]
    return "\n".join(lines + [END])


def write_markdown(results: dict, path: Path, renderers: dict[str, Callable[[dict], list[str]]] | None = None
                   ) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    path.write_text(before + render(results, renderers) + after, encoding="utf-8")
