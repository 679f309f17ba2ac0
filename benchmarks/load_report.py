"""The load benchmark's figures: per-operation latency and errors (inside and outside the fault
windows), the plot, and the markdown report."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks import faults, phases
from benchmarks.stats import pct

if TYPE_CHECKING:
    from benchmarks.load import Run, Sample

OPS = ("turn", "feedback", "sync_turns", "session_get")
GENERATOR = "load generator"  # its own row of the CPU table, no part of the stack's total
TURN_TARGET_P95_MS = 100


def late(s: Sample, windows: list[faults.Window]) -> dict:
    """A 5xx outside every fault window, and how long after the last window's end it began."""
    ended = [w.end for w in windows if w.end <= s.t]
    after = round(s.t - max(ended), 2) if ended else None
    return {
        "t": round(s.t, 2),
        "op": s.op,
        "status": s.status,
        "code": s.code,
        "after_window_s": after,
    }


def overlaps(t: float, ms: float, windows: list[faults.Window]) -> bool:
    """Whether something that began t s into the run and took ms overlapped a fault window."""
    return any(t <= w.end and t + ms / 1000 >= w.down_at for w in windows)


def latency(ok: list[float]) -> dict:
    """n, p50, p95, p99 (None when too few for it: phases.tail_pct), mean and max, in ms."""
    return {
        "n": len(ok),
        "p50_ms": round(pct(ok, 0.50), 1),
        "p95_ms": phases.tail_pct(ok, 0.95),
        "p99_ms": phases.tail_pct(ok, 0.99),
        "mean_ms": round(statistics.fmean(ok), 1) if ok else None,
        "max_ms": round(max(ok), 1) if ok else None,
    }


def acknowledged(turns: list[dict], given_up: int, windows: list[faults.Window]) -> dict:
    """The ledger's acknowledged turns as their users waited for them: from the first attempt to
    the acknowledgement, failed attempts and the waits before each retry included."""
    out = {
        **latency([t["acknowledged_ms"] for t in turns]),
        "retried": sum(1 for t in turns if t["attempts"] > 1),
        "given_up": given_up,
    }
    if windows:
        out["outside_fault_windows"] = latency(
            [
                t["acknowledged_ms"]
                for t in turns
                if not overlaps(t["t"], t["acknowledged_ms"], windows)
            ]
        )
    return out


def summarise(run: Run, windows: list[faults.Window]) -> dict:
    def inside(s: Sample) -> bool:
        return overlaps(s.t, s.ms, windows)

    by_op: dict[str, dict] = {}
    wall = run.measured_s  # the CPU shares' span too: CPU per request is cores ÷ ok/s
    for op in OPS:
        rows = [s for s in run.samples if s.op == op]
        ok = [s for s in rows if s.status in ("200", "201", "304")]
        by_op[op] = {
            "attempts": len(rows),
            "ok": len(ok),
            **latency([s.ms for s in ok]),
            "ok_per_s": round(len(ok) / wall, 2),
            "statuses": dict(sorted(Counter(s.status for s in rows).items())),
        }
        if windows:
            by_op[op]["outside_fault_windows"] = latency([s.ms for s in ok if not inside(s)])
        if op == "turn":  # the degraded ones waited for the model until its timeout
            by_op[op]["not_degraded"] = latency([s.ms for s in ok if not s.degraded])
            by_op[op]["phases"] = phases.breakdown([(s.ms, s.phases) for s in ok if not inside(s)])
            by_op[op]["degraded_share"] = round(sum(s.degraded for s in ok) / max(1, len(ok)), 4)
            by_op[op]["acknowledged"] = acknowledged(
                list(run.ledger.turns.values()), len(run.ledger.gave_up), windows
            )

    server_errors = [
        s for s in run.samples if s.status.startswith("5") or not s.status[0].isdigit()
    ]
    fives = [s for s in server_errors if s.status.startswith("5")]
    return {
        "operations": by_op,
        "requests_per_s": round(
            sum(1 for s in run.samples if s.status in ("200", "201", "304")) / wall, 1
        ),
        "errors": {
            "by_status": dict(
                sorted(
                    Counter(
                        s.status
                        for s in run.samples
                        if not s.status.startswith("2") and s.status != "304"
                    ).items()
                )
            ),
            "5xx_inside_fault_windows": dict(Counter(s.status for s in fives if inside(s))),
            "5xx_outside_fault_windows": dict(Counter(s.status for s in fives if not inside(s))),
            "5xx_outside_detail": [late(s, windows) for s in fives if not inside(s)],
            "500": sum(1 for s in fives if s.status == "500"),
            "transport_inside": sum(1 for s in server_errors if s not in fives and inside(s)),
            "transport_outside": sum(1 for s in server_errors if s not in fives and not inside(s)),
        },
        "turns_degraded": dict(
            Counter(d for t in run.ledger.turns.values() for d in t["degraded"])
        ),
        "reauths_after_401": run.ledger.reauths,
        "sync_mismatches": run.ledger.sync_mismatches,
    }


def plot(run: Run, windows: list[faults.Window], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bucket = 5.0
    n = int(max((s.t for s in run.samples), default=0) // bucket) + 1
    xs = [i * bucket for i in range(n)]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    for op, colour in zip(OPS, ("C0", "C1", "C2", "C3"), strict=True):
        per = defaultdict(list)
        for s in run.samples:
            if s.op == op and s.status in ("200", "201", "304"):
                per[int(s.t // bucket)].append(s.ms)
        ys50 = [pct(per[i], 0.5) if per[i] else float("nan") for i in range(n)]
        ys95 = [pct(per[i], 0.95) if per[i] else float("nan") for i in range(n)]
        ax1.plot(xs, ys95, color=colour, label=f"{op} p95")
        if op == "turn":
            ax1.plot(xs, ys50, color=colour, linestyle=":", label="turn p50")
        counts = [len(per[i]) / bucket for i in range(n)]
        ax2.plot(xs, counts, color=colour, label=f"{op} ok/s")
    errs = Counter(int(s.t // bucket) for s in run.samples if s.status[0] not in "23")
    ax2.bar(xs, [errs[i] / bucket for i in range(n)], width=bucket * 0.9, color="red",
            alpha=0.5, align="edge", label="not ok /s")  # fmt: skip
    ax1.axhline(TURN_TARGET_P95_MS, color="grey", linestyle="--", linewidth=0.8)
    ax1.set_yscale("log")
    ax1.set_ylabel("latency, ms (5 s buckets)")
    ax2.set_ylabel("requests/s")
    ax2.set_xlabel("seconds since start")
    for w in windows:
        for ax in (ax1, ax2):
            ax.axvspan(w.down_at, min(w.end, xs[-1] + bucket), color="orange", alpha=0.15)
        ax1.text(w.down_at, ax1.get_ylim()[1], w.service, va="top", fontsize=8)
    ax1.legend(fontsize=8, ncol=3)
    ax2.legend(fontsize=8, ncol=3)
    ax1.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _warmup_lines(w: dict | None) -> list[str]:
    if not w:
        return ["Measured from a cold stack (no warm-up).", ""]
    return [
        f"Before the measured run, {w['users']} other users loaded the freshly started stack for "
        f"{w['seconds']:g} s, not measured (the emulator JVMs warm up): their {w['turns']} turns "
        f"had p50 {w['turn_p50_ms']} ms, p95 {phases.cell(w['turn_p95_ms'])} ms.",
        "",
    ]


def _latency_row(label: str, r: dict) -> str:
    return (
        f"| {label} | {r['n']} | {r['p50_ms']} | {phases.cell(r['p95_ms'])} | "
        f"{phases.cell(r['p99_ms'])} | {r['max_ms']} |"
    )


def _acknowledged_lines(ack: dict, give_up: float) -> list[str]:
    rows = [_latency_row("all acknowledged", ack)]
    if "outside_fault_windows" in ack:
        rows.append(_latency_row("overlapping no fault window", ack["outside_fault_windows"]))
    return [
        "",
        "Turns as their users waited for them, from the first attempt to the acknowledgement "
        f"(failed attempts and the waits before each retry included): {ack['n']} acknowledged, "
        f"{ack['retried']} of them after more than one attempt; {ack['given_up']} never "
        f"acknowledged (the client gave up: a refusal, or no success within {give_up:g} s; not in "
        "these figures).",
        "",
        "| turns | n | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
    ]


def render(out: dict) -> str:
    a, m, s = out["args"], out["machine"], out["summary"]
    fs, an, views = out["firestore"], out["analytics"], out["views"]
    drained = "complete" if an["complete"] else f"**backlog {an['backlog']}**"
    lines = [
        f"# Load{' with faults' if a['faults'] else ''}: {a['users']} users, "
        f"{a['duration']:g} s through the local gateway",
        "",
        f"{m['date']} · {m['cpu']} · {m['cores']} cores · {m['memory_gib']} GiB · Python "
        f"{m['python']}. The load generator, the emulators, the gateway and the functions share "
        "the machine. Load average (1 min) during the load: "
        f"mean {out['load_average']['mean_1min']}, max {out['load_average']['max_1min']}.",
        "",
        f"Users arrive over the first {a['ramp']:g} s. "
        f"Think time {a['think_floor']:g} s + exponential, {a['think']:g} s mean; sessions of "
        f"4–12 turns; ratings on {a['feedback_share']:.0%} of turns, syncs on "
        f"{a['sync_share']:.0%}. Per operation, every attempt is a sample of its own (a retry is "
        "a second one): the latency columns are of the successful attempts (`ok`: 2xx and 304), "
        "the failed ones are counted under statuses. What a user waited for a turn, retries "
        f"included, follows the table. Rates (ok/s) and CPU are over the {out['measured_s']:g} s "
        f"measured: users start turns for {a['duration']:g} s, then finish what they began.",
        "",
        *_warmup_lines(out.get("warmup")),
        "| operation | attempts | ok | p50 ms | p95 ms | p99 ms | max ms | ok/s | statuses |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for op, r in s["operations"].items():
        statuses = ", ".join(f"{k}×{v}" for k, v in r["statuses"].items())
        lines.append(
            f"| {op} | {r['attempts']} | {r['ok']} | {r['p50_ms']} | {phases.cell(r['p95_ms'])} | "
            f"{phases.cell(r['p99_ms'])} | {r['max_ms']} | {r['ok_per_s']} | {statuses} |"
        )
    turn = s["operations"]["turn"]
    turn_p95, where = turn["p95_ms"], ""
    if "outside_fault_windows" in turn:
        lines += [
            "",
            "Outside the fault windows (successful attempts that overlapped none):",
            "",
            "| operation | ok | p50 ms | p95 ms | p99 ms | max ms |",
            "|---|---:|---:|---:|---:|---:|",
            *(_latency_row(op, r["outside_fault_windows"]) for op, r in s["operations"].items()),
        ]
        turn_p95, where = turn["outside_fault_windows"]["p95_ms"], " outside the fault windows"
    lines += _acknowledged_lines(turn["acknowledged"], a["give_up"])
    e = s["errors"]
    if turn_p95 is None:
        met = "too few turns for a p95"
    else:
        met = "met" if turn_p95 <= TURN_TARGET_P95_MS else "**missed**"
    nd = turn["not_degraded"]
    lines += [
        "",
        f"Throughput {s['requests_per_s']} ok requests/s. Chat turn p95{where} (per successful "
        f"attempt) {phases.cell(turn_p95)} ms (target ≤ {TURN_TARGET_P95_MS} ms: {met}). "
        f"{turn['degraded_share']:.1%} of the turns were answered degraded (most: the persona "
        "model did not answer within its timeout, and the turn waited that long); the others: "
        f"p50 {nd['p50_ms']}, p95 {phases.cell(nd['p95_ms'])}, p99 {phases.cell(nd['p99_ms'])} "
        "ms.",
        f"Errors by status: {e['by_status'] or 'none'}. 5xx inside fault windows: "
        f"{e['5xx_inside_fault_windows'] or 'none'}; outside: "
        f"{e['5xx_outside_fault_windows'] or 'none'}; 500s: {e['500']}. Timeouts and refused "
        f"connections inside / outside: {e['transport_inside']} / {e['transport_outside']}.",
        f"Degraded turns: {s['turns_degraded'] or 'none'}. Sign-ins again after a 401: "
        f"{s['reauths_after_401']}. Syncs that disagreed with the client: {s['sync_mismatches']}.",
    ]
    ack = turn["acknowledged"]
    shown = [nd, ack, ack.get("outside_fault_windows")]
    for r in s["operations"].values():
        shown += [r, r.get("outside_fault_windows")]
    if any(x and None in (x["p95_ms"], x["p99_ms"]) for x in shown):
        lines += ["", phases.TOO_FEW_NOTE]
    if late_ones := e.get("5xx_outside_detail"):
        lines.append(
            "5xx outside the windows (op, status, error code, seconds after the last window "
            "ended): "
            + "; ".join(
                f"{x['op']} {x['status']} {x['code']} +{x['after_window_s']} s" for x in late_ones
            )
            + "."
        )
    if turn.get("phases"):
        where_from = " (attempts outside the fault windows)" if out["faults"] else ""
        lines += [
            "",
            "## Where a turn's time goes" + where_from,
            "",
            *phases.render(turn["phases"]),
        ]
    if out["faults"]:
        lines += [
            "",
            "## Fault windows",
            "",
            "From the fault's start to the moment /healthz reported the dependency healthy.",
            "",
            "| service | down at s | started again s | healthy at s | window s | how |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for w in out["faults"]:
            span = f"{w['healthy_at'] - w['down_at']:.1f}" if w["healthy_at"] is not None else "—"
            started, healthy = (
                "—" if w[k] is None else f"{w[k]:.1f}" for k in ("started_at", "healthy_at")
            )
            lines.append(
                f"| {w['service']} | {w['down_at']:.1f} | {started} | {healthy} | {span} | "
                f"{'; '.join(w['notes'])} |"
            )
    lines += [
        "",
        "## Counts",
        "",
        f"Firestore: {fs['users']} users, {fs['sessions']} sessions, {fs['turns_acknowledged']} "
        f"turns acknowledged, {fs['turns_stored']} stored; lost {fs['lost']}, doubled "
        f"{fs['doubled']}, different from the ledger {fs['mismatched']}, sessions with index gaps "
        f"{fs['index_gaps']}; turns the client gave up on {fs['given_up_by_client']} (stored "
        f"anyway: {fs['stored_but_given_up']}); stored and unexplained "
        f"{fs['stored_unexplained']}. Outbox entries left: {out['outbox_left']}.",
        "",
        f"BigQuery (events of these sessions): expected {an['expected']}, queryable "
        f"{an['queryable']} after waiting {an['waited_s']} s "
        f"({drained}; drain "
        f"{an['drain_rate_per_s']} events/s while waiting); rows per type including redelivered "
        f"copies {an['copies']}; other events {an['other_types'] or 'none'}.",
        "",
        f"Views: turns {views['turns_in_view']} (missing {views['turns_missing_from_view']}, "
        f"doubled {views['turns_doubled_in_view']}, unknown to Firestore "
        f"{views['turns_in_view_not_in_firestore']}; the missing ones were taken at "
        f"{views['missing_turns_taken_at_s'] or '—'} s); sessions started "
        f"{views['sessions_started']}"
        f" (twice: {views['sessions_started_twice']}); rated turns {views['rated_turns']} "
        f"(missing from feedback_final {views['ratings_missing_from_view']}, last rating "
        f"differing {views['ratings_differing']}).",
        "",
        "## Memory and CPU of each process",
        "",
        "RSS of each service's process group (the service and its children), and the CPU its "
        "processes used while the load ran, each from its own counter (a restarted service: its "
        f"old processes and its new ones), in cores (the machine has {m['cores']}; the "
        "emulators do work Google runs elsewhere in production; the load generator is no part "
        "of the stack and not in its total).",
        "",
        "| process | RSS peak MiB | RSS at the end MiB | CPU, cores |",
        "|---|---:|---:|---:|",
    ]
    for name, r in out["memory_mib"].items():
        cores = out["cpu_cores"].get(name, "—")
        lines.append(f"| {name} | {r['peak']} | {r['end']} | {cores} |")
    stack_cores = sum(v for k, v in out["cpu_cores"].items() if k != GENERATOR)
    lines.append(f"| **the stack** (all but the load generator) | | | {round(stack_cores, 2)} |")
    lines += ["", f"![latency and throughput]({out['plot']})", ""]
    return "\n".join(lines)
