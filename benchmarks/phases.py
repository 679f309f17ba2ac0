"""Where a request's time goes: its Server-Timing phases (common/timing.py) against the time
the client waited.

`total` is the function's handler from start to response; `untimed` is the handler's time
outside the named phases (parsing, checks, building the response). The local gateway adds
`gateway`, from the request reaching it to the function's response headers: `function server`
is that minus `total` (the hop, and the wait for one of the function server's threads), and
`client side` is the client's wait minus `gateway` (the load generator's own event loop, the
gateway's server, the network).
The last column is the mean over the slowest 5 % of requests, so a tail can be told apart from
a uniformly slow phase.

`tail_pct` is how every benchmark table shows a p95 or p99: only from enough samples for it."""

from __future__ import annotations

import statistics

from benchmarks.stats import pct

UNTIMED = "untimed"
SERVER = "function server"
CLIENT = "client side"
# How a table shows a percentile tail_pct withheld, and the footnote that says why.
TOO_FEW = "–"
TOO_FEW_NOTE = (
    f"{TOO_FEW}: too few samples for that percentile (a p95 needs at least 20, a p99 at least 100; "
    "with fewer it is the maximum or an interpolation toward it, not a tail)."
)


def enough(n: int, p: float) -> bool:
    """Whether n samples carry a p-quantile: at least 1 / (1 - p) of them (20 for p95, 100 for
    p99), so that at least one lies beyond it."""
    return n >= round(1 / (1 - p))


def tail_pct(values: list[float], p: float, digits: int = 1) -> float | None:
    """The p-quantile, rounded, when there are enough values for it; None otherwise."""
    return round(pct(values, p), digits) if enough(len(values), p) else None


def cell(value: float | None) -> str:
    """A table cell for a figure tail_pct may have withheld."""
    return TOO_FEW if value is None else str(value)


def breakdown(samples: list[tuple[float, dict[str, float]]]) -> dict[str, dict]:
    """samples: (client ms, {phase: ms} from the Server-Timing header) of successful requests
    that carried the header. Returns {phase: {p50_ms, p95_ms, mean_ms, slowest_5pct_mean_ms}}
    in the order the phases ran, then `untimed`, `total`, `function server` and `client side`."""
    timed = [(ms, phases) for ms, phases in samples if "total" in phases]
    if not timed:
        return {}
    names: list[str] = []
    for _, phases in timed:
        names += [n for n in phases if n not in ("total", "gateway") and n not in names]
    rows = []
    for ms, phases in timed:
        row = {n: phases.get(n, 0.0) for n in names}
        row[UNTIMED] = max(0.0, phases["total"] - sum(row.values()))
        row["total"] = phases["total"]
        gateway = phases.get("gateway", phases["total"])
        row[SERVER] = max(0.0, gateway - phases["total"])
        row[CLIENT] = max(0.0, ms - gateway)
        rows.append((ms, row))
    cut = pct([ms for ms, _ in rows], 0.95)
    slowest = [row for ms, row in rows if ms >= cut]
    out = {}
    for name in [*names, UNTIMED, "total", SERVER, CLIENT]:
        values = [row[name] for _, row in rows]
        out[name] = {
            "p50_ms": round(pct(values, 0.50), 1),
            "p95_ms": tail_pct(values, 0.95),
            "mean_ms": round(statistics.fmean(values), 1),
            "slowest_5pct_mean_ms": round(statistics.fmean(row[name] for row in slowest), 1),
        }
    out["_requests"] = {"n": len(rows), "slowest_n": len(slowest), "client_p95_ms": round(cut, 1)}
    return out


def render(result: dict[str, dict], what: str = "turn") -> list[str]:
    """A markdown table of breakdown()'s result (nothing when no request carried timings)."""
    if not result:
        return []
    meta = result["_requests"]
    if enough(meta["n"], 0.95):
        slowest = (
            f"the mean over the {meta['slowest_n']} slowest, those at or above the client's p95 "
            f"of {meta['client_p95_ms']} ms"
        )
    else:  # too few for a p95: the slowest 5 % is the slowest alone
        slowest = f"the mean over the {meta['slowest_n']} slowest"
    lines = [
        f"Where a {what}'s time goes (Server-Timing of {meta['n']} successful {what}s; the last "
        f"column is {slowest}):",
        "",
        "| phase | p50 ms | p95 ms | mean ms | mean in the slowest 5 % |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in result.items():
        if name == "_requests":
            continue
        label = f"**{name}**" if name == "total" else name
        lines.append(
            f"| {label} | {r['p50_ms']} | {cell(r['p95_ms'])} | {r['mean_ms']} | "
            f"{r['slowest_5pct_mean_ms']} |"
        )
    if not enough(meta["n"], 0.95):
        lines += ["", TOO_FEW_NOTE]
    return lines
