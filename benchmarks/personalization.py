"""Does the product learn who each user prefers? Simulated users with hidden preferences talk to
the real API on the local stack, rate every reply by that preference, and we measure, per policy
(static router, original formula, Thompson sampling), how often the persona shown agrees with
the hidden preference at each interaction, and the cumulative regret. Then the offline
estimators judge policies from other policies' logs, checked against each target's exact
expected reward on those logs' inputs (and shown beside its online result), and the report says
whether the acceptance targets are met.

    python -m benchmarks.personalization [--users 48] [--turns 30] [--policies thompson ...]

The chat function is restarted once per policy (PERSONALIZATION_POLICY), with the per-user
anomaly limits raised and the model client's timeout at 5 s: simulated users write far faster
than people, and neither the limits nor the model's latency under that load is what is measured
here (the share of turns the baseline read instead of the model is reported). Messages come
from the labelled corpus's held-out records, which the persona model never saw (`--messages
all` draws from every record, most of them its training data, so the model reads them better
than a real user's). Writes benchmarks/results/personalization.{json,md,png}."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks.machine import describe
from common.chat import wiring
from common.config import ACTIVITY_KEPT, Settings
from common.labels import PERSONA_IDS
from common.personalization.offline_eval import (
    NOT_CHOSEN_BY_POLICY,
    Estimate,
    LoggedInteraction,
    decide,
    estimate,
    target_propensities,
)
from common.personalization.policies import Policy, make_policy
from common.routing import ensemble
from model_serving import split
from scripts import stack
from scripts.auth_emulator import SIGN_UP

ROOT = Path(__file__).resolve().parent.parent
GATEWAY = stack.GATEWAY_URL
PUBSUB = f"http://127.0.0.1:8085/v1/projects/{stack.PROJECT}"
POLICIES = ("static", "formula", "thompson")
# The logging run for off-policy evaluation: the static router with bounded exploration, whose
# logs support the static policy's every choice (unlike Thompson sampling's, whose exploration
# cap never shows a persona the user has learned to dislike).
LOGGER = ("static+explore", {"PERSONALIZATION_POLICY": "static", "EXPLORATION_EPSILON": "0.3"})
# where the simulated users' messages come from
MESSAGES = {
    "heldout": "held-out records, never trained on",
    "all": "every record, most of them the model's training data",
}
TURNS_PER_SESSION = 6
BENCHMARK_SEED = 7  # the benchmark's own draw of messages: its test set
# 48 users: with 24 the 95 % interval of the agreement was +-5.5 points and one draw of messages
# against another moved it by 4 (0.864 on seed 7, 0.911 and 0.897 on seeds 1 and 2).
BENCHMARK_USERS = 48
RELAXED_LIMITS = {
    # the highest the activity record can count (a user here writes 30 turns in about a minute)
    "ANOMALY_BURST_MINUTE_MAX": str(ACTIVITY_KEPT - 1),
    "ANOMALY_BURST_HOUR_MAX": str(ACTIVITY_KEPT - 1),
    "ANOMALY_REPEAT_MAX": str(ACTIVITY_KEPT - 1),
    # Users writing at machine speed on 2 vCPUs beside the emulators queue the model server
    # past the chat's 300 ms guard, and three misses open the breaker for 15 s: 5-27 % of the
    # turns were then read by the baseline (2026-12-03), which measures the load, not learning.
    "MODEL_TIMEOUT_SECONDS": "5",
}
# Acceptance (issue 4): the default policy agrees with the hidden preference on >= 90 % of turns
# 16-30 and beats the static router by >= 25 points there.
DEFAULT_POLICY = Settings.model_fields["personalization_policy"].default
AGREEMENT_TARGET = 0.90
MARGIN_TARGET = 0.25
# An off-policy pair validates the estimator only if the logs show nearly everything the target
# would: on the rest IPS counts reward 0 and SNIPS drops them, and either may land near the
# online figure by accident.
MAX_UNSUPPORTED = 0.05
NOT_SUPPORTED = "not supported by these logs"
# The local hour of each session, one in each day part (night, morning, afternoon, evening) in
# turn, so that the time-of-day terms of the ensemble and of the formula weigh the same whenever
# the benchmark runs. With every user on UTC, a run at 04:00 UTC put everyone at night, when the
# time term favours Lua over Riri by 0.7, and one at 14:00 in the afternoon (Riri over Lua by
# 0.3): the formula agreed on 0.74 and 0.86 of turns 16-30 on the same draw of messages.
LOCAL_HOURS = (3, 9, 15, 20)
CALM_TONES = {"anxious", "sad", "overwhelmed"}
THINKING_INTENTS = {"learning", "decision_making", "planning"}


@dataclass(frozen=True)
class HiddenPreference:
    kind: str  # "fixed", "by_tone", "by_intent"
    persona: str = ""

    def preferred(self, record: dict) -> str:
        if self.kind == "fixed":
            return self.persona
        if self.kind == "by_tone":  # Lua when they are low, otherwise quick Riri
            return "lua" if record["tone"] in CALM_TONES else "riri"
        return "elro" if record["intent"] in THINKING_INTENTS else "nana"  # by_intent

    def read_right(self, record: dict, analysis: dict) -> bool:
        """Whether the model's reading of the message leads to the same favourite as its
        labels (always, for a fixed favourite)."""
        read = {"tone": analysis["tone"]["label"], "intent": analysis["intent"]["label"]}
        return self.preferred(read) == self.preferred(record)


def population(n: int) -> list[HiddenPreference]:
    """Half with one fixed favourite (spread over the personas), half whose favourite depends
    on how they feel or what they ask."""
    fixed = [HiddenPreference("fixed", PERSONA_IDS[i % 4]) for i in range(n // 2)]
    contextual = [HiddenPreference("by_tone" if i % 2 else "by_intent") for i in range(n - n // 2)]
    return fixed + contextual


def local_hour(user: int, session: int) -> int:
    """The local hour of a user's session: the day parts in turn, from a part that depends on
    user // 4 (not user % 4, by which population() gives the fixed favourites: every Lua fan
    would start at night)."""
    return LOCAL_HOURS[(session + user // 4) % len(LOCAL_HOURS)]


def zone_at(hour: int, now: datetime) -> str:
    """An IANA zone whose local hour is `hour` at `now` (whole-hour offsets: Etc/GMT-N is
    UTC+N, the sign inverted by POSIX convention)."""
    offset = (hour - now.astimezone(UTC).hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


@dataclass
class Interaction:
    index: int
    turn_id: str
    shown: str
    preferred: str
    reward: float
    kind: str = ""
    context_read_right: bool = True  # the model put the message in the right tone/intent group
    source: str = ""  # who decided (the turn event's persona_source): a policy, or "care"
    user: int = 0  # which simulated user
    baseline_read: bool = False  # the model did not answer in time: the baseline read it


@dataclass
class Run:
    policy: str
    interactions: list[Interaction] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def _send(
    client: httpx.AsyncClient, run: Run, what: str, method: str, url: str, **kwargs: Any
) -> httpx.Response | None:
    """The response, or None once a transport error is recorded as one of the run's errors
    (one run died of an httpx.ReadError on a profile poll while the CPU was loaded)."""
    try:
        return await client.request(method, url, **kwargs)
    except httpx.TransportError as exc:
        run.errors.append(f"{what} {type(exc).__name__}")
        return None


async def simulate_user(
    client: httpx.AsyncClient,
    user: int,
    pref: HiddenPreference,
    messages: list[dict],
    turns: int,
    run: Run,
) -> None:
    signed_up = await client.post(
        SIGN_UP,
        json={
            "email": f"pz-{uuid.uuid4().hex}@example.com",
            "password": "bench-password",
            "returnSecureToken": True,
        },
    )
    headers = {"Authorization": f"Bearer {signed_up.json()['idToken']}"}
    session_id = None
    rated = 0
    for i in range(turns):
        record = messages[i]
        if session_id is None:  # a new session: the user's clock moves to its day part
            tz = zone_at(local_hour(user, i // TURNS_PER_SESSION), datetime.now(UTC))
            p = await _send(
                client,
                run,
                "timezone",
                "PATCH",
                "/v2/profile",
                headers=headers,
                json={"timezone": tz},
            )
            if p is not None and p.status_code != 200:
                run.errors.append(f"timezone {p.status_code}")
        r = await _send(
            client,
            run,
            "turn",
            "POST",
            "/v2/chat/turns",
            headers=headers,
            json={
                "session_id": session_id,
                "client_turn_id": uuid.uuid4().hex,
                "message": record["text"],
            },
        )
        if r is None:
            continue
        if r.status_code != 201:
            run.errors.append(f"turn {r.status_code}")
            continue
        turn = r.json()
        session_id = None if (i + 1) % TURNS_PER_SESSION == 0 else turn["session_id"]
        preferred = pref.preferred(record)
        reward = 1.0 if turn["persona"]["id"] == preferred else 0.0
        run.interactions.append(
            Interaction(
                i + 1,
                turn["turn_id"],
                turn["persona"]["id"],
                preferred,
                reward,
                pref.kind,
                pref.read_right(record, turn["analysis"]),
                user=user,
            )
        )
        f = await _send(
            client,
            run,
            "feedback",
            "POST",
            "/v2/feedback",
            headers=headers,
            json={
                "turn_id": turn["turn_id"],
                "session_id": turn["session_id"],
                "rating": "up" if reward else "down",
            },
        )
        if f is None:
            continue
        if f.status_code not in (200, 201):
            run.errors.append(f"feedback {f.status_code}")
            continue
        rated += 1
        # Wait until the profile updater has learned from it, as a person's next message would.
        for _ in range(60):
            p = await _send(client, run, "profile", "GET", "/v2/profile", headers=headers)
            if p is not None and p.json().get("feedback_count", 0) >= rated:
                break
            await asyncio.sleep(0.05)


def _pubsub(method: str, path: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(
        f"{PUBSUB}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}")


def pull_turn_events(sub: str, expected: set[str], wait: float = 120) -> dict[str, dict]:
    """chat.turn.completed events by turn_id, from a subscription made before the run, until
    every expected turn's event is in or `wait` seconds pass: an event whose publish failed
    waits in the outbox for the relay, and an empty pull does not mean nothing is pending."""
    out: dict[str, dict] = {}
    deadline = time.monotonic() + wait
    while not expected <= out.keys() and time.monotonic() < deadline:
        body = _pubsub(
            "POST", f"/subscriptions/{sub}:pull", {"maxMessages": 1000, "returnImmediately": True}
        )
        msgs = body.get("receivedMessages", [])
        if not msgs:
            time.sleep(1)
            continue
        _pubsub("POST", f"/subscriptions/{sub}:acknowledge", {"ackIds": [m["ackId"] for m in msgs]})
        for m in msgs:
            env = json.loads(base64.b64decode(m["message"]["data"]))
            if env["type"] == "chat.turn.completed":
                out[env["data"]["turn_id"]] = env["data"]
    return out


async def run_policy(
    policy: str,
    prefs: list[HiddenPreference],
    corpus: list[dict],
    turns: int,
    seed: int,
    env: dict | None = None,
) -> tuple[Run, list[dict]]:
    stack.stop("fn-chat")
    env = env or {"PERSONALIZATION_POLICY": policy}
    stack.start(stack.BY_NAME["fn-chat"], extra_env={**env, **RELAXED_LIMITS})
    sub = f"bench-pz-{uuid.uuid4().hex[:8]}"
    _pubsub("PUT", f"/subscriptions/{sub}", {"topic": f"projects/{stack.PROJECT}/topics/events"})
    run = Run(policy)
    rng = random.Random(seed)
    streams = [rng.sample(corpus, turns) for _ in prefs]  # the same messages for every policy
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=GATEWAY, timeout=60) as client:
        await asyncio.gather(
            *(
                simulate_user(client, u, p, s, turns, run)
                for u, (p, s) in enumerate(zip(prefs, streams, strict=True))
            )
        )
    print(
        f"  {policy}: {len(run.interactions)} interactions in "
        f"{time.perf_counter() - started:.0f} s, {len(run.errors)} errors",
        flush=True,
    )
    by_turn = {x.turn_id: x for x in run.interactions}
    events = pull_turn_events(sub, set(by_turn))
    _pubsub("DELETE", f"/subscriptions/{sub}")
    for x in run.interactions:
        if x.turn_id in events:
            x.source = events[x.turn_id].get("persona_source", "")
            x.baseline_read = "persona_model" in events[x.turn_id].get("degraded", [])
        else:
            run.errors.append("turn event missing")
    return run, turn_logs(events, by_turn)


def restore_chat() -> None:
    """The chat function back on the stack's own settings, after runs with other ones."""
    stack.stop("fn-chat")
    stack.start(stack.BY_NAME["fn-chat"])


def turn_logs(events: dict[str, dict], by_turn: dict[str, Interaction]) -> list[dict]:
    """The off-policy records (offline_eval.LoggedInteraction's fields, plus the user and the
    hidden favourite, which only the simulator knows) of the turns whose event arrived.
    persona_source marks the turns no policy chose (care after a crisis signal), which every
    target would have shown as well."""
    return [
        {
            "ensemble": e["scores"],
            "profile": e["profile"],
            "local_hour": e["local_hour"],
            "seed": tid,
            "shown": e["persona"],
            "propensity": e["propensity"],
            "reward": by_turn[tid].reward,
            "persona_source": e.get("persona_source"),
            "user": by_turn[tid].user,
            "preferred": by_turn[tid].preferred,
        }
        for tid, e in events.items()
        if tid in by_turn
    ]


def exact_value(policy: Policy, logs: list[dict]) -> float:
    """What IPS and SNIPS on these logs estimate, computed instead: the target's expected reward
    on the logged inputs. The simulator knows each turn's hidden favourite, so it is the mean
    over the logged turns of Σ_p π_target(p | logged input) · reward(p), the reward 1 for the
    favourite and 0 for the others; a turn no policy chose (care) scores the reward observed,
    as estimate() counts it, and a record estimate() leaves out (propensity 0) is left out. The
    target's own online run is another quantity: its inputs differ (profiles learned from its
    own choices, the ensemble's continuity term favouring the persona it showed last)."""
    values = []
    for raw in logs:
        log = LoggedInteraction.from_dict(raw)
        if log.propensity == 0.0:
            continue
        if log.persona_source in NOT_CHOSEN_BY_POLICY:
            values.append(log.reward)
        else:
            values.append(target_propensities(policy, log).get(raw["preferred"], 0.0))
    return sum(values) / len(values) if values else float("nan")


def _agreement(interactions: list[Interaction]) -> float | None:
    """Share of these interactions that showed the hidden favourite."""
    if not interactions:
        return None
    return round(sum(x.reward for x in interactions) / len(interactions), 3)


def oracle_reward(x: Interaction) -> float:
    """What a policy that knew the user's hidden rule would have earned on this turn: the care
    persona's reward on a care turn (no policy chooses there), 1 for a fixed favourite, and for
    a contextual one 1 only where the model read the message's group right (the rule applied
    to a misread message names another persona)."""
    if x.source == "care":
        return x.reward
    return 1.0 if x.kind == "fixed" or x.context_read_right else 0.0


def user_bootstrap_ci(
    interactions: list[Interaction], reps: int = 2000, seed: int = 0
) -> list[float] | None:
    """95 % interval of the agreement, resampling whole users: one user's turns are not
    independent of each other (the same preference, the same learned profile)."""
    by_user: dict[int, list[float]] = {}
    for x in interactions:
        by_user.setdefault(x.user, []).append(x.reward)
    if not by_user:
        return None
    users = list(by_user.values())
    rng = random.Random(seed)
    shares = []
    for _ in range(reps):
        sample = [rng.choice(users) for _ in users]
        shares.append(sum(map(sum, sample)) / sum(map(len, sample)))
    shares.sort()
    return [round(shares[int(0.025 * reps)], 3), round(shares[int(0.975 * reps) - 1], 3)]


def summarise(run: Run, turns: int) -> dict:
    by_index = {
        i: [x.reward for x in run.interactions if x.index == i] for i in range(1, turns + 1)
    }
    agreement = [sum(v) / len(v) if v else None for v in by_index.values()]
    late = [x for x in run.interactions if x.index >= 16]
    n_users = max((len(v) for v in by_index.values()), default=0)
    regret, total = [], 0.0
    for v in by_index.values():  # the hidden favourite always earns 1: regret = misses
        total += (len(v) - sum(v)) / max(n_users, 1)
        regret.append(round(total, 3))
    return {
        "policy": run.policy,
        "interactions": len(run.interactions),
        "errors": len(run.errors),
        "agreement_by_turn": [round(a, 3) if a is not None else None for a in agreement],
        "agreement_turns_16_30": _agreement(late),
        "agreement_turns_16_30_ci95": user_bootstrap_ci(late),
        "agreement_turns_16_30_by_kind": {
            kind: _agreement(of_kind)
            for kind in ("fixed", "by_tone", "by_intent")
            if (of_kind := [x for x in late if x.kind == kind])
        },
        # For the contextual users: agreement where the model read the message's tone or intent
        # group right, and where it did not (no policy can learn its way past a misreading).
        "agreement_turns_16_30_contextual_by_reading": {
            reading: {"n": len(of_reading), "agreement": _agreement(of_reading)}
            for reading, right in (("read_right", True), ("misread", False))
            if (
                of_reading := [
                    x for x in late if x.kind != "fixed" and x.context_read_right == right
                ]
            )
        },
        # After a crisis signal (here always a false alarm: the messages are not crisis ones)
        # the calm persona answers that turn and the next CARE_TURNS_AFTER_CRISIS, whatever
        # the user prefers: safety before preference, by design.
        "care_share_turns_16_30": round(
            sum(x.source == "care" for x in late) / max(len(late), 1), 3
        ),
        "agreement_turns_16_30_outside_care": _agreement([x for x in late if x.source != "care"]),
        # What a policy that knew every rule would reach, with this reading and these care turns.
        "oracle_turns_16_30": round(sum(map(oracle_reward, late)) / len(late), 3) if late else None,
        "baseline_read_share": round(
            sum(x.baseline_read for x in run.interactions) / max(len(run.interactions), 1), 3
        ),
        "error_kinds": sorted(set(run.errors)),
        "agreement_all": _agreement(run.interactions),
        "cumulative_regret_per_user": regret,
    }


def logger_support(logger: str) -> Callable[[LoggedInteraction], set[str]]:
    """The personas a logging run could have shown on a record's input: the static router with
    exploration picks among the ensemble's top 3 (common/routing/ensemble.rank, ties broken as
    there); a policy, among those it gives a positive propensity."""
    if logger == LOGGER[0]:

        def top(log: LoggedInteraction) -> set[str]:
            return set(ensemble.best_first(log.ensemble)[: ensemble.TOP_K])

        return top
    policy = wiring.policy(logger)  # the chat function's, from the same settings

    def positive(log: LoggedInteraction) -> set[str]:
        return {p for p, q in decide(policy, log).propensities.items() if q > 0}

    return positive


def offline_row(
    logger: str, est: Estimate, per_turn: Estimate, exact: float, online: float
) -> dict:
    """One off-policy comparison. The estimator is judged against `exact` (exact_value(): the
    target's expected reward on the logged inputs, which is what it estimates); the target's
    own online result, on other inputs, is shown beside it. Whether a figure falls within an
    interval is asked only where the logs support the target (None elsewhere): by the exact
    share of the target's choices the logger could not show (`est.unsupported_exact`)."""
    unsupported = est.unsupported_exact
    supported = unsupported <= MAX_UNSUPPORTED

    def within(ci: tuple[float, float], value: float = exact) -> bool | None:
        return ci[0] <= value <= ci[1] if supported else None

    return {
        "ips": round(est.ips, 3),
        "ips_ci": [round(x, 3) for x in est.ips_ci],
        "ips_ci_per_turn": [round(x, 3) for x in per_turn.ips_ci],
        "snips": round(est.snips, 3),
        "snips_ci": [round(x, 3) for x in est.snips_ci],
        "n": est.n,
        "ess": round(est.ess, 1),
        "unsupported_share": round(unsupported, 3),
        "one_minus_mean_weight": round(est.unsupported_share, 3),
        "supported": supported,
        "logger": logger,
        "exact": round(exact, 3),
        "exact_within_ips_ci": within(est.ips_ci),
        "exact_within_ips_ci_per_turn": within(per_turn.ips_ci),
        "exact_within_snips_ci": within(est.snips_ci),
        "online": online,
        "online_within_ips_ci": within(est.ips_ci, online),
    }


def _cell(within: bool | None) -> str:
    return NOT_SUPPORTED if within is None else str(within)


def verdicts(summaries: list[dict], offline: dict[str, dict]) -> list[str]:
    """The acceptance targets, met or missed, from the figures."""
    late = {s["policy"]: s["agreement_turns_16_30"] for s in summaries}
    default, static = late.get(DEFAULT_POLICY), late.get("static")
    out = []
    if default is not None:
        met = "met" if default >= AGREEMENT_TARGET else "missed"
        out.append(
            f"{DEFAULT_POLICY} (the default) agrees with the hidden preference on turns 16–30: "
            f"{default} (target ≥ {AGREEMENT_TARGET:.2f}): {met}."
        )
        oracle = next(
            s.get("oracle_turns_16_30") for s in summaries if s["policy"] == DEFAULT_POLICY
        )
        if oracle:
            out.append(
                f"A policy that knew every user's rule would reach {oracle} there (the same care "
                "turns, messages as the model read them): the default gets "
                f"{default / oracle:.1%} of that, the target asks for "
                f"{AGREEMENT_TARGET / oracle:.1%}."
            )
        if static is not None:
            margin = round(default - static, 3)
            met = "met" if margin >= MARGIN_TARGET else "missed"
            out.append(
                f"It beats the static router there by {100 * margin:.1f} points "
                f"(target ≥ {100 * MARGIN_TARGET:.0f}): {met}."
            )
    if offline:
        judged = {k: o["exact_within_ips_ci"] for k, o in offline.items() if o["supported"]}
        online = [o["online_within_ips_ci"] for o in offline.values() if o["supported"]]
        unsupported = [k for k, o in offline.items() if not o["supported"]]
        met = "met" if judged and all(judged.values()) else "missed"
        out.append(
            "The target's exact expected reward on the logged inputs falls within the "
            f"off-policy IPS interval on {sum(judged.values())} of the {len(judged)} pairs the "
            f"logs support (unsupported share ≤ {MAX_UNSUPPORTED:.0%}): {met}"
            + (f"; {NOT_SUPPORTED}: {', '.join(unsupported)}." if unsupported else ".")
            + f" The targets' own online results, on other inputs, fall within it on "
            f"{sum(online)} of {len(online)}."
        )
    return out


def plot(summaries: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for s in summaries:
        xs = range(1, len(s["agreement_by_turn"]) + 1)
        left.plot(xs, s["agreement_by_turn"], marker=".", label=s["policy"])
        right.plot(xs, s["cumulative_regret_per_user"], label=s["policy"])
    left.set(
        title="Top-1 agreement with the hidden preference",
        xlabel="interaction",
        ylabel="share of users",
        ylim=(0, 1.05),
    )
    left.axvspan(16, 30, color="grey", alpha=0.1)
    right.set(title="Cumulative regret per user", xlabel="interaction", ylabel="missed turns")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def offline_tables(offline: dict[str, dict]) -> list[str]:
    """The off-policy section of the report: the estimates, then what they are judged against."""
    lines = [
        "",
        "Off-policy estimates of a policy from another policy's logs (same users and messages). "
        "The 95 % intervals sum deviations per simulated user, whose turns share one hidden "
        "preference and one learned profile (Student's t with users − 1 degrees of freedom); "
        "the interval that treats every turn as independent is narrower than it should be, and "
        "is shown for comparison. Care turns (no policy chooses there) count as the target's "
        "own. The unsupported share is the target's probability on personas the logging run "
        "could not have shown on each turn's logged input (the exploring static router: the "
        "ensemble's top 3; Thompson sampling: the personas its exploration cap leaves in): IPS "
        "counts those turns as 0 and SNIPS leaves them out, so a pair tests the estimator only "
        f"when it is at most {MAX_UNSUPPORTED:.0%}. 1 − mean weight estimates the same share "
        "from the rewards' weights, with sampling noise:",
        "",
        "| estimate | IPS (95 % CI) | per-turn CI | SNIPS (95 % CI) | ESS | unsupported share | "
        "1 − mean weight |",
        "|---|---|---|---|---:|---:|---:|",
    ]
    for name, o in offline.items():
        lines.append(
            f"| {name} | {o['ips']} {o['ips_ci']} | {o['ips_ci_per_turn']} | "
            f"{o['snips']} {o['snips_ci']} | {o['ess']} | {o['unsupported_share']} | "
            f"{o['one_minus_mean_weight']} |"
        )
    lines += [
        "",
        "What the estimates are judged against. *Exact* is what they estimate, computed: the "
        "target's expected reward on the logger's inputs (the simulator knows every turn's "
        "hidden favourite: the mean of the target's probability of it; a care turn scores "
        "the reward observed). *Online* is the target's own run, whose inputs differ (profiles "
        "learned from its own choices; the ensemble's continuity term favours the persona "
        "shown last), so a miss there can be that shift and not the estimator's error:",
        "",
        "| estimate | exact | in IPS CI | in per-turn CI | in SNIPS CI | online | "
        "online in IPS CI |",
        "|---|---:|---|---|---|---:|---|",
    ]
    for name, o in offline.items():
        lines.append(
            f"| {name} | {o['exact']} | {_cell(o['exact_within_ips_ci'])} | "
            f"{_cell(o['exact_within_ips_ci_per_turn'])} | {_cell(o['exact_within_snips_ci'])} | "
            f"{o['online']} | {_cell(o['online_within_ips_ci'])} |"
        )
    return lines


async def main_async(
    n_users: int, turns: int, seed: int, policies: tuple[str, ...], messages: str
) -> None:
    corpus = split.ordinary_records(held_out_only=messages == "heldout")
    prefs = population(n_users)
    summaries, logs = [], {}
    for policy in policies:
        print(f"… {policy}", flush=True)
        run, logs[policy] = await run_policy(policy, prefs, corpus, turns, seed)
        summaries.append(summarise(run, turns))
        print(json.dumps({k: v for k, v in summaries[-1].items() if "16_30" in k}), flush=True)
    if policies != POLICIES:  # a quick look at some policies: print, write nothing
        restore_chat()
        return
    print(f"… {LOGGER[0]} (logging for off-policy evaluation)", flush=True)
    logger_run, logs[LOGGER[0]] = await run_policy(LOGGER[0], prefs, corpus, turns, seed, LOGGER[1])
    restore_chat()

    # Off-policy: judge a policy from the logs another policy made, against its online result.
    offline = {}
    online = {s["policy"]: s["agreement_all"] for s in summaries}
    pairs = [("static", LOGGER[0]), ("static", "thompson"), ("formula", "thompson")]
    for target, logger in pairs:
        # Intervals from deviations summed per simulated user (a user's turns share one hidden
        # preference and one learned profile); the per-turn interval is kept for comparison.
        est = estimate(
            make_policy(target),
            logs[logger],
            groups=[g["user"] for g in logs[logger]],
            logger_support=logger_support(logger),
        )
        per_turn = estimate(make_policy(target), logs[logger])
        exact = exact_value(make_policy(target), logs[logger])
        offline[f"{target} from {logger} logs"] = offline_row(
            logger, est, per_turn, exact, online[target]
        )
    out = ROOT / "benchmarks" / "results"
    plot(summaries, out / "personalization.png")
    result = {
        "machine": describe(),
        "users": n_users,
        "turns": turns,
        "seed": seed,
        "messages": messages,
        "message_pool": len(corpus),
        "population": [p.__dict__ for p in prefs],
        "policies": summaries,
        "logger_agreement_all": summarise(logger_run, turns)["agreement_all"],
        "offline": offline,
        "verdicts": verdicts(summaries, offline),
    }
    (out / "personalization.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Personalization: simulated users with hidden preferences",
        "",
        f"{n_users} users × {turns} turns per policy ({result['machine']['date']}); half with a "
        "fixed favourite, half whose favourite depends on tone or intent; messages from the "
        f"labelled corpus ({MESSAGES[messages]}, {len(corpus):,} non-crisis records); every "
        f"reply rated up/down by the hidden preference; sessions of {TURNS_PER_SESSION} turns, "
        "each at the next local hour of "
        f"{', '.join(f'{h:02d}:00' for h in LOCAL_HOURS)} (night, morning, afternoon, evening: "
        "the time-of-day terms weigh the same whenever the benchmark runs).",
        "",
        *(f"- {v}" for v in result["verdicts"]),
        "",
        "| policy | agreement, turns 16–30 [95 % CI, users resampled] | "
        "turns 16–30 in care after a crisis signal | "
        "agreement on the others | agreement, all | regret per user | "
        "turns the baseline read (model too slow) | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summaries:
        lines.append(
            f"| {s['policy']} | {s['agreement_turns_16_30']} "
            f"{s['agreement_turns_16_30_ci95']} | {s['care_share_turns_16_30']} | "
            f"{s['agreement_turns_16_30_outside_care']} | {s['agreement_all']} | "
            f"{s['cumulative_regret_per_user'][-1]} | {s['baseline_read_share']} | "
            f"{s['errors']} |"
        )
    lines += [
        "",
        "Turns 16–30 by kind of user, and for the users whose favourite depends on the message, "
        "by whether the model read its tone or intent group right (no policy can learn its way "
        "past a misreading):",
        "",
        "| policy | fixed | by tone | by intent | read right (n) | misread (n) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for s in summaries:
        k, r = s["agreement_turns_16_30_by_kind"], s["agreement_turns_16_30_contextual_by_reading"]
        cells = [
            f"{r[x]['agreement']} ({r[x]['n']})" if x in r else "–"
            for x in ("read_right", "misread")
        ]
        lines.append(
            f"| {s['policy']} | {k.get('fixed')} | {k.get('by_tone')} | {k.get('by_intent')} | "
            + " | ".join(cells)
            + " |"
        )
    lines += offline_tables(offline)
    lines += ["", "![agreement and regret](personalization.png)"]
    (out / "personalization.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--users", type=int, default=BENCHMARK_USERS, help="simulated users per policy"
    )
    parser.add_argument("--turns", type=int, default=30, help="turns per simulated user")
    parser.add_argument(
        "--seed", type=int, default=BENCHMARK_SEED, help="the simulated users' draw"
    )
    parser.add_argument(
        "--messages",
        choices=MESSAGES,
        default="heldout",
        help="the corpus records the users write: heldout (never trained on) or all",
    )
    parser.add_argument(
        "--policies",
        nargs="+",
        choices=POLICIES,
        default=list(POLICIES),
        help="a subset prints its figures and writes no results (and no off-policy estimates)",
    )
    args = parser.parse_args()
    asyncio.run(main_async(args.users, args.turns, args.seed, tuple(args.policies), args.messages))


if __name__ == "__main__":
    main()
