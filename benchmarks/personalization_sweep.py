"""How fast does each Thompson-sampling setting learn? An offline sweep of prior strength and
exploration cap, in pure code, to choose the defaults without tuning on the benchmark itself.

    python -m benchmarks.personalization_sweep [--repeats 10]

The users of benchmarks.personalization (24 per repeat × 30 turns, half the benchmark's 48:
half with a fixed favourite, half whose favourite depends on the tone or intent group), messages
from every corpus record (the benchmark draws held-out ones, but here the model's reading is
synthetic, so whether it was trained on a message does not matter), the real context model
(common/personalization/context.py) and policy. What is synthetic: the ensemble (a uniform draw
in [0.2, 0.7] per persona, +0.15 for the current persona), the model's reading (each label
replaced by a random one with probability MISREAD, about what the persona model does to the
groups). Every turn and rating goes through the profile updater's own delta_for() and
profile_from_doc(). No care turns, so agreement is higher than on the stack.
Writes benchmarks/results/personalization_sweep.md.

    python -m benchmarks.personalization_sweep --stack [--seeds 1 2]

`--stack` (run it under scripts/with_stack.sh) tries a few settings around the default on the
local stack instead: the real API, persona model, ensemble, care turns and profile updater, as
benchmarks.personalization drives them (Thompson sampling only), on message draws (`--seeds`)
other than the benchmark's own, which stay its test. Writes
benchmarks/results/personalization_sweep_stack.md."""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.machine import describe
from benchmarks.personalization import (
    BENCHMARK_SEED,
    TURNS_PER_SESSION,
    HiddenPreference,
    population,
    restore_chat,
    run_policy,
    summarise,
)
from benchmarks.stats import clustered_se, mean_se
from common.config import Settings
from common.events import Event
from common.labels import PERSONA_IDS
from common.personalization.context import context_keys, in_context
from common.personalization.policies import ThompsonSampling
from common.profile.updater import delta_for, profile_from_doc
from model_serving import split

ROOT = Path(__file__).resolve().parent.parent
MISREAD = 0.08
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
GRID = [(s, cap) for s in (0.5, 1.0, 2.0, 4.0) for cap in (0.0, 0.05, 0.1, 0.2)]
# The configured setting (common/config.py): the others are compared with it, paired.
DEFAULT = tuple(
    Settings.model_fields[f"thompson_{name}"].default
    for name in ("prior_strength", "exploration_cap")
)
# On the stack: the default, its neighbours, and no cap at all (plain Thompson sampling).
STACK_GRID = [(1.0, 0.05), (0.5, 0.05), (1.0, 0.02), (2.0, 0.05), (1.0, 0.15), (1.0, 1.0)]


def _apply(doc: dict, event: Event) -> None:
    """What the profile updater writes for one event, applied to a plain dict."""
    delta = delta_for(event)
    for path, amount in (delta.increments if delta else {}).items():
        *parents, leaf = path.split(".")
        node = doc
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = node.get(leaf, 0.0) + amount


def simulate(policy: ThompsonSampling, users, corpus, seed: int, turns: int = 30):
    """(interaction index, kind of user, reward) for every turn of every user."""
    rng = random.Random(seed)
    tones = sorted({r["tone"] for r in corpus})
    intents = sorted({r["intent"] for r in corpus})
    out = []
    for u, pref in enumerate(users):
        doc: dict = {}  # users/{uid}.prefs, as the profile updater keeps it
        previous: dict = {}
        for i in range(turns):
            record = rng.choice(corpus)
            tone = rng.choice(tones) if rng.random() < MISREAD else record["tone"]
            intent = rng.choice(intents) if rng.random() < MISREAD else record["intent"]
            if i % TURNS_PER_SESSION == 0:
                previous = {}
            current = previous.get("persona")
            ensemble = {p: rng.uniform(0.2, 0.7) + 0.15 * (p == current) for p in PERSONA_IDS}
            profile = profile_from_doc(doc, personalization=True, now=NOW)
            shown = policy.choose(
                ensemble=ensemble,
                profile=in_context(profile, doc.get("ctx"), context_keys(tone, intent)),
                local_hour=12,
                seed=f"{seed}-{u}-{i}",
            ).chosen
            reward = float(shown == pref.preferred(record))
            turn = {"persona": shown, "tone": tone, "intent": intent}
            _apply(
                doc,
                Event(
                    "chat.turn.completed",
                    NOW,
                    "sweep",
                    data={
                        **turn,
                        "turn_index": i % TURNS_PER_SESSION,
                        "local_hour": 12,
                        **{f"previous_{k}": v for k, v in previous.items()},
                    },
                ),
            )
            _apply(doc, Event("feedback.submitted", NOW, "sweep", data={**turn, "reward": reward}))
            previous = turn
            out.append((i + 1, pref.kind, reward))
    return out


async def stack_sweep(seeds: list[int], users: int = 24, turns: int = 30) -> list[dict]:
    """Each STACK_GRID setting on each seed's messages, through the stack (as the benchmark)."""
    corpus = split.ordinary_records(held_out_only=True)
    prefs = population(users)
    rows = []
    started = time.perf_counter()
    for n, (strength, cap) in enumerate(STACK_GRID, 1):
        env = {
            "PERSONALIZATION_POLICY": "thompson",
            "THOMPSON_PRIOR_STRENGTH": f"{strength:g}",
            "THOMPSON_EXPLORATION_CAP": f"{cap:g}",
        }
        runs = []
        for seed in seeds:
            run, _ = await run_policy("thompson", prefs, corpus, turns, seed, env)
            runs.append(summarise(run, turns))
        rows.append({"prior_strength": strength, "exploration_cap": cap, "runs": runs})
        print(
            f"[{n}/{len(STACK_GRID)} {time.perf_counter() - started:.0f} s] prior {strength:g}, "
            f"cap {cap:g}: {[r['agreement_turns_16_30'] for r in runs]}",
            flush=True,
        )
    restore_chat()
    return rows


def _mean(runs: list[dict], key: str, kind: str | None = None) -> float:
    values = [r[key][kind] if kind else r[key] for r in runs]
    return statistics.mean(values)


def stack_report(rows: list[dict], seeds: list[int], machine: dict) -> str:
    """The stack sweep as markdown, best mean agreement on turns 16–30 first."""
    lines = [
        "# Personalization sweep on the local stack: Thompson sampling's settings",
        "",
        f"{machine['date']} on {machine['cpu']}, {machine['cores']} cores; 24 users × 30 "
        "turns per run, Thompson sampling through the real API, persona "
        "model, ensemble, care turns and profile updater (benchmarks.personalization's users), "
        f"on the held-out messages drawn with seeds {', '.join(map(str, seeds))} (the "
        f"benchmark's own draw, seed {BENCHMARK_SEED}, is not used). A run of one setting on "
        "one draw is not exactly repeatable (the order in which concurrent users' turns and "
        "events land varies); compare differences with that noise.",
        "",
        "| prior strength | exploration cap | agreement, turns 16–30, per seed | mean | outside "
        "care | care share | fixed | by tone | by intent |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in sorted(rows, key=lambda r: -_mean(r["runs"], "agreement_turns_16_30")):
        runs = row["runs"]
        kinds = "agreement_turns_16_30_by_kind"
        lines.append(
            f"| {row['prior_strength']:g} | {row['exploration_cap']:g} | "
            + ", ".join(f"{r['agreement_turns_16_30']:.3f}" for r in runs)
            + f" | {_mean(runs, 'agreement_turns_16_30'):.3f}"
            f" | {_mean(runs, 'agreement_turns_16_30_outside_care'):.3f}"
            f" | {_mean(runs, 'care_share_turns_16_30'):.3f}"
            + "".join(f" | {_mean(runs, kinds, k):.3f}" for k in ("fixed", "by_tone", "by_intent"))
            + " |"
        )
    return "\n".join(lines) + "\n"


def late_by_user_run(runs: list[list[tuple]], users: int) -> list[list[tuple]]:
    """Each user-run's (kind, reward) on turns 16-30: simulate() returns each user's turns
    together, in the order of the users."""
    turns = len(runs[0]) // users
    return [
        [(kind, r) for i, kind, r in run[u * turns : (u + 1) * turns] if i >= 16]
        for run in runs
        for u in range(users)
    ]


def sweep_report(rows: list[tuple], repeats: int, date: str) -> list[str]:
    """The offline sweep as markdown lines, best agreement first. A user's turns are not
    independent (one preference, one learned profile), so each standard error comes from the
    user-runs' means; every setting meets the same users and messages (simulate's seeds), so
    its difference to the default has a paired one, from the per-user-run differences."""
    rewards = {setting: [[r for _, r in c] for c in clusters] for setting, clusters in rows}
    default = [statistics.mean(c) for c in rewards[DEFAULT]]
    clusters, decisions = len(default), sum(map(len, rewards[DEFAULT]))
    lines = [
        "# Personalization sweep: Thompson sampling's prior strength and exploration cap",
        "",
        f"{date}; synthetic ensemble, {repeats} repeats of 24 users × 30 turns per setting "
        f"({decisions} decisions on turns 16–30 each, from {clusters} user-runs). SE: the "
        "standard error of the agreement from the user-runs' means (a user's turns are not "
        "independent). Vs default: the difference to the default (prior strength "
        f"{DEFAULT[0]:g}, cap {DEFAULT[1]:g}) on the same users and messages, with its paired "
        "standard error from the per-user-run differences. See the module docstring for what "
        "is synthetic.",
        "",
        "| prior strength | exploration cap | agreement, turns 16–30 | SE | vs default "
        "| paired SE | fixed | by tone | by intent |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    table = []
    for (strength, cap), user_runs in rows:
        means = [statistics.mean(c) for c in rewards[(strength, cap)]]
        se = clustered_se(rewards[(strength, cap)])
        by_kind = {
            k: statistics.mean(r for c in user_runs for kind, r in c if kind == k)
            for k in ("fixed", "by_tone", "by_intent")
        }
        paired = [m - d for m, d in zip(means, default, strict=True)]
        overall = statistics.mean(means)  # user-runs of equal size: the mean of all turns
        table.append(
            (
                -overall,
                f"| {strength:g} | {cap:g} | {overall:.3f} | {se:.4f} | "
                f"{statistics.mean(paired):+.3f} | {mean_se(paired):.4f} | "
                f"{by_kind['fixed']:.3f} | {by_kind['by_tone']:.3f} | {by_kind['by_intent']:.3f} |",
            )
        )
    return lines + [line for _, line in sorted(table)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--repeats", type=int, default=10, help="simulations (seeds 0..N-1) per grid setting"
    )
    parser.add_argument("--stack", action="store_true", help="sweep on the local stack")
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[1, 2],
        help="--stack: draws of messages (not the benchmark's own)",
    )
    args = parser.parse_args()
    if BENCHMARK_SEED in args.seeds:
        parser.error(f"seed {BENCHMARK_SEED} draws the benchmark's own messages, its test set")
    if args.stack:
        by_seed = asyncio.run(stack_sweep(args.seeds))
        text = stack_report(by_seed, args.seeds, describe())
        (ROOT / "benchmarks" / "results" / "personalization_sweep_stack.md").write_text(text)
        print(text)
        return
    corpus = split.ordinary_records()
    users: list[HiddenPreference] = population(24)
    rows = []
    started = time.perf_counter()
    for n, (strength, cap) in enumerate(GRID, 1):
        policy = ThompsonSampling(prior_strength=strength, exploration_cap=cap, draws=300)
        runs = [simulate(policy, users, corpus, seed) for seed in range(args.repeats)]
        clusters = late_by_user_run(runs, len(users))
        rows.append(((strength, cap), clusters))
        agreement = statistics.mean(statistics.mean(r for _, r in c) for c in clusters)
        print(
            f"[{n}/{len(GRID)} {time.perf_counter() - started:.0f} s] prior {strength:g}, "
            f"cap {cap:g}: {agreement:.3f}",
            flush=True,
        )
    lines = sweep_report(rows, args.repeats, describe()["date"])
    out = ROOT / "benchmarks" / "results" / "personalization_sweep.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
