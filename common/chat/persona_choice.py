"""Which persona answers: the router's ranking, the user's explicit choice, and continuity."""

from __future__ import annotations

from dataclasses import dataclass

from common.personas import PERSONAS

CONTINUITY_MARGIN = 0.05


@dataclass(frozen=True)
class Ranked:
    id: str
    score: float
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Choice:
    chosen: Ranked
    alternatives: tuple[Ranked, ...]
    source: str  # "router" | "requested" | "continuity"


def choose_persona(
    ranked: list[Ranked],
    *,
    requested: str | None,
    current: str | None,
    frustration_rising: bool,
) -> Choice:
    """`ranked` holds every persona, best first. The user's explicit choice wins; otherwise the
    current persona keeps the conversation when it is within a small margin of the best, unless
    the user is getting more frustrated with it."""
    by_id = {r.id: r for r in ranked}
    best = ranked[0]
    if requested:
        pick = by_id[requested]
        chosen = Ranked(pick.id, pick.score, (f"You asked for {PERSONAS[pick.id].name}.",))
        source = "requested"
    elif (
        current in by_id
        and current != best.id
        and not frustration_rising
        and best.score - by_id[current].score <= CONTINUITY_MARGIN
    ):
        pick = by_id[current]
        reason = f"Staying with {PERSONAS[pick.id].name} so the conversation keeps its thread."
        chosen = Ranked(pick.id, pick.score, (reason, *pick.reasons))
        source = "continuity"
    else:
        chosen = best
        source = "router"
        if frustration_rising and current and current != best.id:
            reason = (
                f"Switching from {PERSONAS[current].name}: this doesn't seem to be helping yet."
            )
            chosen = Ranked(best.id, best.score, (reason, *best.reasons))
    alternatives = tuple(r for r in ranked if r.id != chosen.id)[:2]
    return Choice(chosen=chosen, alternatives=alternatives, source=source)
