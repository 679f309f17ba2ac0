"""Champion/challenger: may the retrained model replace the serving one? (pure)

The rule: the challenger is promoted only if, on the fixed held-out set, no head is worse than
the champion's by more than `tolerance` (one point, 0.01):

    tone, pace, intent, persona   macro-F1
    crisis                        recall and precision at the head's own threshold

and the off-policy estimate does not say it is clearly worse: when the challenger's estimate
rests on at least `min_ess` effective logged turns, the upper end of its SNIPS 95 % interval
must not fall below the champion's SNIPS estimate minus `tolerance`. With fewer logged turns the
off-policy figures are reported and decide nothing. A challenger that is the champion (same
version) is not promoted: there is nothing to change.
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
TOLERANCE = 0.01
MIN_ESS = 50.0
EPS = 1e-9  # float noise never decides


@dataclass(frozen=True)
class Comparison:
    head: str
    metric: str
    champion: float
    challenger: float
    delta: float
    worse: bool  # worse by more than the tolerance


@dataclass(frozen=True)
class Decision:
    promote: bool
    reasons: list[str]
    comparisons: list[Comparison]
    off_policy: dict[str, Any] = field(default_factory=dict)
    tolerance: float = TOLERANCE

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare(
    champion: dict[str, dict[str, float]],
    challenger: dict[str, dict[str, float]],
    tolerance: float = TOLERANCE,
) -> list[Comparison]:
    """Every gated metric side by side; a metric missing on either side counts as worse."""
    out = []
    for head, metrics in GATED.items():
        for metric in metrics:
            a = champion.get(head, {}).get(metric, math.nan)
            b = challenger.get(head, {}).get(metric, math.nan)
            delta = b - a
            worse = not math.isfinite(delta) or delta < -tolerance - EPS
            out.append(Comparison(head, metric, round(a, 4), round(b, 4), round(delta, 4), worse))
    return out


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def off_policy_verdict(
    ope: dict[str, Any] | None, tolerance: float = TOLERANCE, min_ess: float = MIN_ESS
) -> tuple[bool, str]:
    """(clearly worse?, why) from offpolicy.evaluate's result."""
    if not ope or "champion" not in ope or "challenger" not in ope:
        return False, "off-policy: no estimate (no logged turns of the champion)"
    champ, chall = ope["champion"], ope["challenger"]
    ess = _num(chall.get("ess")) if chall.get("ess") is not None else 0.0
    champ_snips, chall_snips = _num(champ.get("snips")), _num(chall.get("snips"))
    if not ess >= min_ess or not math.isfinite(champ_snips):
        return False, f"off-policy: {ess:.1f} effective turns (< {min_ess:g}): reported only"
    high = _num((chall.get("snips_ci") or [None, None])[1])
    if math.isfinite(high) and high < champ_snips - tolerance - EPS:
        return True, (
            f"off-policy: challenger SNIPS {chall_snips:.3f} (95 % CI up to {high:.3f}) is "
            f"clearly below the champion's {champ_snips:.3f}"
        )
    return False, (
        f"off-policy: challenger SNIPS {chall_snips:.3f} vs champion {champ_snips:.3f} on "
        f"{ess:.1f} effective turns: not clearly worse"
    )


def decide(
    champion: dict[str, dict[str, float]],
    challenger: dict[str, dict[str, float]],
    *,
    champion_version: str,
    challenger_version: str,
    ope: dict[str, Any] | None = None,
    tolerance: float = TOLERANCE,
    min_ess: float = MIN_ESS,
) -> Decision:
    comparisons = compare(champion, challenger, tolerance)
    reasons = [
        f"{c.head} {c.metric} {c.challenger:.3f} vs champion {c.champion:.3f} "
        f"({c.delta:+.3f}, more than {tolerance:.2f} worse)"
        for c in comparisons
        if c.worse
    ]
    clearly_worse, ope_reason = off_policy_verdict(ope, tolerance, min_ess)
    if clearly_worse:
        reasons.append(ope_reason)
    if challenger_version == champion_version:
        reasons.append(f"the challenger is the champion ({champion_version}): nothing to change")
    promote = not reasons
    if promote:
        reasons = [f"no head is more than {tolerance:.2f} worse than champion {champion_version}"]
    if not clearly_worse:
        reasons.append(ope_reason)
    return Decision(
        promote=promote,
        reasons=reasons,
        comparisons=comparisons,
        off_policy={"clearly_worse": clearly_worse, "why": ope_reason},
        tolerance=tolerance,
    )
