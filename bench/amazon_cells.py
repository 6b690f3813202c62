"""The Amazon fetch section of ``python -m bench``: every cell, both clients, repeated and interleaved.

A cell is (group, API version, orders, time scale, conditions, client). Clients: ``ours``
(``OrdersClient.fetch_orders``), ``library`` (python-amazon-sp-api as its documentation shows) and
``expert`` (the same library hand-paced by someone who knows the usage plan, v2026 only). Groups:

- ``main``: the reference sizes (5,000 and 20,000 orders v2026 at scale 1000, 5,000 v0 at 200);
- ``scales``: the same 2,500-order fetch at time scales 50, 200 and 1000 (does the ratio depend on
  the scale?);
- ``real time``: scale 1, one and three pages (no time compression at all);
- ``windows``: 1, 2, 5, 20 and 21 pages, what an hourly run meets; up to 20 pages the burst makes
  the bound 0, the 21st page waits 1 / rate;
- ``round trip``: 2,500 orders with 300 ms round trip and up to 200 ms jitter (scaled);
- ``conditions``: 2,500 orders with 10 tokens used before, no rate header, a rate granted at half
  the default.

Full profile (5 rounds): about 45 minutes on 2 cores (each round about 9 minutes: main 4, scales
1.5, windows 1.5, conditions 1.5, the rest 0.5); quick profile (2 rounds, 10 cells): about 2 minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bench.amazon_fetch import Conditions
from bench.samples import interleaved, spread, spread_text

V2026, V0 = "2026-01-01", "v0"
OURS, LIBRARY, EXPERT = "ours", "library", "expert"
CLIENT_NAMES = {OURS: "ours", LIBRARY: "python-amazon-sp-api (documented)",
                EXPERT: "python-amazon-sp-api (hand-paced)"}
RTT = Conditions(rtt=0.3, jitter=0.2)
DRAINED = Conditions(drained=10)
NO_HEADER = Conditions(rate_header=False)
LOW_RATE = Conditions(granted_rate=0.0028)


@dataclass(frozen=True)
class Cell:
    group: str
    api_version: str
    orders: int
    scale: float
    client: str
    conditions: Conditions = field(default_factory=Conditions)

    @property
    def case(self) -> tuple:
        """What the clients are compared on: the cell without its client."""
        return (self.group, self.api_version, self.orders, self.scale, self.conditions)

    def name(self) -> str:
        return (f"{self.group}/{self.api_version}/{self.orders}/x{self.scale:g}/{self.conditions.label()}"
                f"/{self.client}")


def _trio(group: str, api: str, orders: int, scale: float, conditions: Conditions = Conditions(),
          clients: tuple[str, ...] = (OURS, LIBRARY, EXPERT)) -> list[Cell]:
    return [Cell(group, api, orders, scale, client, conditions) for client in clients
            if not (client == EXPERT and api == V0)]


def cells(profile: str) -> list[Cell]:
    if profile == "quick":  # for CI: about 2 minutes on 2 cores
        return [
            *_trio("main", V2026, 2_500, 200.0, clients=(OURS, LIBRARY)),
            *_trio("main", V0, 500, 200.0),
            *_trio("real time", V2026, 100, 1.0),
            *_trio("windows", V2026, 500, 200.0),
        ]
    return [
        *_trio("main", V2026, 5_000, 1000.0),
        *_trio("main", V2026, 20_000, 1000.0),
        *_trio("main", V0, 5_000, 200.0),
        *[cell for scale in (50.0, 200.0, 1000.0) for cell in _trio("scales", V2026, 2_500, scale)],
        *_trio("real time", V2026, 100, 1.0),
        *_trio("real time", V2026, 300, 1.0, clients=(OURS, EXPERT)),  # the library sleeps 180 s per page
        *[cell for pages in (1, 2, 5, 20, 21) for cell in _trio("windows", V2026, pages * 100, 200.0)],
        *_trio("round trip", V2026, 2_500, 200.0, RTT),
        *[cell for conditions in (DRAINED, NO_HEADER, LOW_RATE)
          for cell in _trio("conditions", V2026, 2_500, 200.0, conditions)],
    ]


def measure(cell: Cell, seed: int = 42) -> dict:
    from bench import amazon_fetch, amazon_library

    if cell.client == OURS:
        out = amazon_fetch.run(cell.api_version, cell.orders, seed, cell.scale, cell.conditions)
        throttled = max(out.throttled_client, out.throttled_server)
    else:
        mode = amazon_library.EXPERT if cell.client == EXPERT else amazon_library.DOCUMENTED
        out = amazon_library.run(cell.api_version, cell.orders, seed, cell.scale, cell.conditions, mode)
        throttled = out.throttled
    return {"orders": out.orders, "calls": out.calls, "minimum_calls": out.minimum_calls,
            "throttled_429": throttled, "elapsed_s": round(out.elapsed, 3), "bound_s": round(out.bound, 3),
            "amazon_s": round(out.elapsed * cell.scale, 1)}


def run_section(profile: str, repeats: int) -> dict:
    chosen = cells(profile)
    samples = interleaved({cell.name(): (lambda cell=cell: measure(cell)) for cell in chosen}, repeats,
                          progress=lambda line: print(line, flush=True))
    rows = []
    for cell in chosen:
        runs = samples[cell.name()]
        row = {"group": cell.group, "api_version": cell.api_version, "orders": cell.orders,
               "time_scale": cell.scale, "client": cell.client, "conditions": cell.conditions.label(),
               "minimum_calls": runs[0]["minimum_calls"], "bound_s": runs[0]["bound_s"],
               "orders_fetched": sorted({r["orders"] for r in runs}),
               "calls": spread([r["calls"] for r in runs], 0),
               "throttled_429": spread([r["throttled_429"] for r in runs], 0),
               "elapsed_s": spread([r["elapsed_s"] for r in runs]),
               "amazon_s": spread([r["amazon_s"] for r in runs], 1), "runs": runs}
        if runs[0]["bound_s"]:
            row["ratio"] = spread([r["elapsed_s"] / r["bound_s"] for r in runs])
        rows.append(row)
    return {"rows": rows, "repeats": repeats}


def _fmt(summary: dict) -> str:
    if summary["min"] == summary["max"]:
        return f"{summary['median']:g}"
    return spread_text(summary)


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def verdicts(rows: list[dict]) -> list[str]:
    """The targets, judged on the medians, for every case where ours runs next to the library."""
    cases: dict[tuple, dict[str, dict]] = {}
    for row in rows:
        key = (row["group"], row["api_version"], row["orders"], row["time_scale"], row["conditions"])
        cases.setdefault(key, {})[row["client"]] = row
    lines = []
    for key, by_client in cases.items():
        ours, library, expert = by_client.get(OURS), by_client.get(LIBRARY), by_client.get(EXPERT)
        if ours is None:
            continue
        calls, minimum = ours["calls"]["median"], ours["minimum_calls"]
        parts = [f"minimum calls {_mark(calls == minimum)}", f"no 429 {_mark(ours['throttled_429']['median'] == 0)}"]
        if ours.get("ratio"):
            parts.append(f"≤ 1.05 × bound {_mark(ours['ratio']['median'] <= 1.05)}")
        for other, label in ((library, "the library"), (expert, "the hand-paced library")):
            if other is None:
                continue
            theirs = other["calls"]["median"]
            if calls == theirs == minimum:
                fewer = "calls: equal (both at minimum)"
            elif calls == theirs:
                fewer = "fewer calls than " + label + " **missed** (equal)"
            else:
                fewer = f"fewer calls than {label} {_mark(calls < theirs)} ({calls:g} vs {theirs:g})"
            faster = ours["elapsed_s"]["median"] < other["elapsed_s"]["median"]
            parts.append(f"{fewer}; less time than {label} {_mark(faster)} "
                         f"({ours['elapsed_s']['median']:g} vs {other['elapsed_s']['median']:g} s)")
        group, api, orders, scale, conditions = key
        lines.append(f"- {group}, {api}, {orders:,} orders, scale {scale:g}, {conditions}: " + "; ".join(parts))
    return lines


def render_section(result: dict) -> list[str]:
    rows = result["rows"]
    lines = ["### 1. Amazon fetch (default usage plans, stand-in clock sped up by the time scale)", "",
             f"Median (min–max, n) of {result['repeats']} interleaved rounds; calls and 429s counted by the "
             "stand-in; Amazon s = elapsed × scale.", ""]
    header = ["group", "API", "orders", "scale", "conditions", "client", "calls", "min calls", "429s",
              "elapsed s", "Amazon s", "bound s", "elapsed / bound"]
    body = []
    for r in rows:
        ratio = _fmt(r["ratio"]) if r.get("ratio") else "— (bound 0: within the burst)"
        body.append([r["group"], r["api_version"], f"{r['orders']:,}", f"{r['time_scale']:g}", r["conditions"],
                     CLIENT_NAMES[r["client"]], _fmt(r["calls"]), r["minimum_calls"], _fmt(r["throttled_429"]),
                     _fmt(r["elapsed_s"]), _fmt(r["amazon_s"]), r["bound_s"], ratio])
    lines += ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in body]
    lines += ["", *verdicts(rows), ""]
    return lines


def ratio_of(rows: list[dict], group: str, client: str = OURS) -> float:
    """The median elapsed / bound of the first matching row (nan when none)."""
    for row in rows:
        if row["group"] == group and row["client"] == client and row.get("ratio"):
            return row["ratio"]["median"]
    return math.nan
