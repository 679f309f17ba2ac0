"""Champion/challenger: may the retrained model replace the serving one? (pure)

The rule: the challenger is promoted only if, on the fixed held-out set, no head is worse than
the champion's by more than `tolerance` (one point, 0.01):

    tone, pace, intent, persona   macro-F1
    crisis                        recall and precision at the head's own threshold

its crisis recall and precision are at least `CRISIS_TARGET` (0.97 and 0.90, the targets
evaluate.py reports the build's model against: an absolute floor, so that weekly losses within
one point cannot walk the crisis flag below them), its persona macro-F1 and crisis recall are
not worse than the committed reference's (the model train.py built from the corpus,
model_serving/released/) by more than `reference_tolerance` (two points: weekly losses within
one point of the last champion must not add up), and the off-policy estimate does
not say it is clearly worse: when the challenger's estimate rests on at least `min_ess`
effective logged turns, the upper end of the paired 95 % interval of challenger minus champion
SNIPS (the same turns, per turn: offpolicy.paired_difference) must not fall below `-tolerance`.
With fewer logged turns the off-policy figures are reported and decide nothing. A challenger
that is the champion (same version) is not promoted: there is nothing to change.

Crisis recall is also held per slice (slices.py: register, length): on every slice with at
least `SLICE_MIN_POSITIVES` (20) crisis messages in the champion's held-out metrics, the
challenger must not catch more than `SLICE_MAX_LOST` (2) fewer of them than the champion. Counts,
not rates: six messages lost on the emoji register's 30 is 0.2 of its recall but under one point
of the overall one, which the rules above let through. A champion whose metrics carry no slices
(measured before they were recorded) is judged without this rule.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

GATED: dict[str, tuple[str, ...]] = {
    "tone": ("macro_f1",),
    "pace": ("macro_f1",),
    "intent": ("macro_f1",),
    "persona": ("macro_f1",),
    "crisis": ("recall", "precision"),
}
# Ratings change the persona head's weights only: the other heads are refitted on the same corpus
# every week, so they cannot drift away from the reference. Crisis recall is held to it all the
# same, as a missed crisis message costs most: a recipe or library change does refit it
# differently (with today's reference, 0.981, the floor below binds first).
REFERENCE_GATED: dict[str, tuple[str, ...]] = {"persona": ("macro_f1",), "crisis": ("recall",)}
# The crisis flag's targets (evaluate.py reports the build's model against them): whatever the
# champion scored, no challenger below them is promoted.
CRISIS_TARGET = {"recall": 0.97, "precision": 0.90}
TOLERANCE = 0.01
REFERENCE_TOLERANCE = 0.02
MIN_ESS = 50.0
# Fewer crisis messages than this on a slice and one miss is noise; more than this many lost on
# one is a loss the overall figures can hide.
SLICE_MIN_POSITIVES = 20
SLICE_MAX_LOST = 2
EPS = 1e-9  # float noise never decides


@dataclass(frozen=True)
class Comparison:
    head: str
    metric: str
    champion: float  # or the reference's
    challenger: float
    delta: float
    worse: bool  # worse by more than the tolerance


@dataclass(frozen=True)
class SliceCheck:
    slice: str
    positives: int  # the champion's crisis records on the slice
    champion: int  # crisis messages caught
    challenger: int
    worse: bool  # more than SLICE_MAX_LOST fewer caught


@dataclass(frozen=True)
class Reference:
    """A fixed model the challenger is also held to, with its recorded held-out figures."""

    version: str
    heldout: dict[str, dict[str, float]]


@dataclass(frozen=True)
class Decision:
    promote: bool
    reasons: list[str]
    comparisons: list[Comparison]
    off_policy: dict[str, Any] = field(default_factory=dict)
    tolerance: float = TOLERANCE
    reference: dict[str, Any] | None = None  # version, tolerance, comparisons; None: not compared
    crisis_floor: dict[str, float] | None = None  # None: not applied (the quick config)
    slices: list[SliceCheck] = field(default_factory=list)  # empty: the champion has none

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def recorded_heldout(meta: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The held-out figures train.py recorded in an artifact's metadata, per head."""
    return {head: s["candidates"][s["chosen"]]["heldout"] for head, s in meta["selection"].items()}


def compare(
    champion: dict[str, dict[str, float]],
    challenger: dict[str, dict[str, float]],
    tolerance: float = TOLERANCE,
    gated: dict[str, tuple[str, ...]] = GATED,
) -> list[Comparison]:
    """Every gated metric side by side; a metric missing on either side counts as worse."""
    out = []
    for head, metrics in gated.items():
        for metric in metrics:
            a = champion.get(head, {}).get(metric, math.nan)
            b = challenger.get(head, {}).get(metric, math.nan)
            delta = b - a
            worse = not math.isfinite(delta) or delta < -tolerance - EPS
            out.append(Comparison(head, metric, round(a, 4), round(b, 4), round(delta, 4), worse))
    return out


def below_floor(challenger: dict[str, dict[str, float]], floor: dict[str, float]) -> list[str]:
    """Why the challenger's crisis figures are below the floor (a missing one is below it)."""
    out = []
    for metric, target in floor.items():
        value = challenger.get("crisis", {}).get(metric, math.nan)
        if not value >= target - EPS:
            out.append(f"crisis {metric} {value:.4f} is below the floor {target:.2f}")
    return out


def _caught(metrics: dict[str, Any], name: str) -> int:
    """Crisis messages caught on a slice (recall x positives); a missing slice caught none."""
    s = metrics.get("crisis", {}).get("slices", {}).get(name)
    return round(s["recall"] * s["positives"]) if s else 0


def slice_checks(champion: dict[str, Any], challenger: dict[str, Any]) -> list[SliceCheck]:
    """The crisis messages each model catches on every slice of the champion's metrics with at
    least SLICE_MIN_POSITIVES crisis records (none when they carry no slices)."""
    out = []
    for name, s in champion.get("crisis", {}).get("slices", {}).items():
        if s["positives"] >= SLICE_MIN_POSITIVES:
            a, b = _caught(champion, name), _caught(challenger, name)
            out.append(SliceCheck(name, s["positives"], a, b, a - b > SLICE_MAX_LOST))
    return out


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def off_policy_verdict(
    ope: dict[str, Any] | None, tolerance: float = TOLERANCE, min_ess: float = MIN_ESS
) -> tuple[bool, str]:
    """(clearly worse?, why) from offpolicy.evaluate's result."""
    if not ope or "champion" not in ope or "challenger" not in ope:
        return False, "off-policy: no estimate (no logged turns of the champion)"
    ess = _num(ope["challenger"].get("ess") or 0.0)
    diff = ope.get("difference") or {}
    delta = _num(diff.get("snips"))
    if not ess >= min_ess or not math.isfinite(delta):
        return False, f"off-policy: {ess:.1f} effective turns (< {min_ess:g}): reported only"
    high = _num((diff.get("snips_ci") or [None, None])[1])
    # paired by user: the logged turns, or those a policy would choose, are one user's
    if not math.isfinite(high):
        return False, (
            f"off-policy: challenger minus champion SNIPS {delta:+.3f} on {ess:.1f} effective "
            "turns, without an interval (the turns, or those a policy would choose, are one "
            "user's): reported only"
        )
    if high < -tolerance - EPS:
        return True, (
            f"off-policy: challenger minus champion SNIPS {delta:+.3f} on the same turns (paired "
            f"95 % CI up to {high:+.3f}) is clearly below -{tolerance:.2f}"
        )
    return False, (
        f"off-policy: challenger minus champion SNIPS {delta:+.3f} (paired 95 % CI up to "
        f"{high:+.3f}) on {ess:.1f} effective turns: not clearly worse"
    )


def decide(
    champion: dict[str, dict[str, float]],
    challenger: dict[str, dict[str, float]],
    *,
    champion_version: str,
    challenger_version: str,
    ope: dict[str, Any] | None = None,
    reference: Reference | None = None,
    tolerance: float = TOLERANCE,
    reference_tolerance: float = REFERENCE_TOLERANCE,
    min_ess: float = MIN_ESS,
    crisis_floor: dict[str, float] | None = CRISIS_TARGET,
) -> Decision:
    comparisons = compare(champion, challenger, tolerance)
    reasons = [
        f"{c.head} {c.metric} {c.challenger:.3f} vs champion {c.champion:.3f} "
        f"({c.delta:+.3f}, more than {tolerance:.2f} worse)"
        for c in comparisons
        if c.worse
    ]
    if crisis_floor is not None:
        reasons += below_floor(challenger, crisis_floor)
    slices = slice_checks(champion, challenger)
    reasons += [
        f"crisis on the slice {c.slice}: the challenger catches {c.challenger} of its "
        f"{c.positives} crisis messages, the champion {c.champion} ({c.champion - c.challenger} "
        f"fewer, more than {SLICE_MAX_LOST})"
        for c in slices
        if c.worse
    ]
    against_reference = None
    if reference is not None:
        ref = compare(reference.heldout, challenger, reference_tolerance, REFERENCE_GATED)
        reasons += [
            f"{c.head} {c.metric} {c.challenger:.3f} vs the committed reference "
            f"{reference.version} {c.champion:.3f} ({c.delta:+.3f}, more than "
            f"{reference_tolerance:.2f} worse)"
            for c in ref
            if c.worse
        ]
        against_reference = {
            "version": reference.version,
            "tolerance": reference_tolerance,
            "comparisons": [asdict(c) for c in ref],
        }
    clearly_worse, ope_reason = off_policy_verdict(ope, tolerance, min_ess)
    if clearly_worse:
        reasons.append(ope_reason)
    if challenger_version == champion_version:
        reasons.append(f"the challenger is the champion ({champion_version}): nothing to change")
    promote = not reasons
    if promote:
        reasons = [f"no head is more than {tolerance:.2f} worse than champion {champion_version}"]
        if crisis_floor is not None:
            reasons.append(
                "crisis "
                + " and ".join(f"{m} at least {t:.2f}" for m, t in crisis_floor.items())
                + " (the floor)"
            )
        if slices:
            reasons.append(
                f"on no slice with at least {SLICE_MIN_POSITIVES} crisis messages does the "
                f"challenger catch more than {SLICE_MAX_LOST} fewer than the champion "
                f"({len(slices)} slices compared)"
            )
        if reference is not None:
            gated = ", ".join(f"{h} {m}" for h, ms in REFERENCE_GATED.items() for m in ms)
            reasons.append(
                f"{gated} within {reference_tolerance:.2f} of the committed reference "
                f"{reference.version}"
            )
    if not clearly_worse:
        reasons.append(ope_reason)
    return Decision(
        promote=promote,
        reasons=reasons,
        comparisons=comparisons,
        off_policy={"clearly_worse": clearly_worse, "why": ope_reason},
        tolerance=tolerance,
        reference=against_reference,
        crisis_floor=crisis_floor,
        slices=slices,
    )
