"""The retraining job's training set: the committed corpus (held-out records never enter) plus
what users' ratings teach, as per-record weights of the persona head (pure; numpy only).

What a rating teaches, and what it cannot (see feedback.py for what BigQuery holds):

- No text reaches analytics, so a rated turn is never a training example: the text heads (tone,
  pace, intent, crisis, and persona on the text) learn only from the labelled corpus. A thumbs-up
  does not confirm the turn's tone or intent either: those are the model's own predictions, and
  training on them would teach the model its own output.
- A rating says how well the persona shown suited that kind of message. The kind is the turn's
  (tone, intent) as it was read. Kinds differ in satisfaction whatever the persona (sad users
  rate lower), so a persona is compared only with the others shown for the same kind: for each
  cell (tone, intent, persona) with at least `min_ratings` usable ratings, in a kind where at
  least two personas have that many, the mean satisfaction, shrunk towards the kind's mean (all
  its usable ratings, whichever persona) with `prior_strength` pseudo-ratings, divided by the
  kind's mean, is a lift (> 1: users liked that persona for such messages more than the others
  shown for them). Against the overall mean, a kind rated low would down-weight whichever
  persona was shown for it. Corpus records labelled with that tone, intent and persona get the
  lift, clipped to [`min_weight`, `max_weight`], as their sample weight in the persona head;
  every other record and every other head keeps weight 1. Labels never change.
- Used: only turns whose persona the ensemble chose (or explored) from the message's scores, the
  same for every user. Not used: ratings of crisis turns (the reply is the persona-independent
  crisis answer); of care turns (the persona was not chosen for fit); of turns whose persona the
  user asked for, or a personalization policy chose from the user's profile: those personas were
  shown because that user already likes them, so their ratings measure one user's taste, not
  fit to the kind of message. Weighting them by inverse propensity would not undo that: the
  propensity is computed from the user's profile, so reweighting corrects for which persona the
  policy favoured, not for the user who liked it (and the formula policy's is always 1). Nor
  turns without a known tone, intent or persona.
- The ratings' logged propensities also feed the off-policy estimate (offpolicy.py).

`corrupt_labels_for_tests` (tests only: the e2e test's deliberately worse challenger) replaces
every label of a fixed fraction of the training records by a wrong one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from common.personalization.offline_eval import NOT_CHOSEN_BY_POLICY
from model_serving import split
from model_serving.feedback import Rated
from model_serving.labels import HEADS

HEAD_NAMES = ("tone", "pace", "intent", "persona", "crisis")
# persona sources (Ranking.source) whose choice did not depend on who the user is
FIT_SOURCES = {"ensemble", "exploration"}


@dataclass(frozen=True)
class FeedbackConfig:
    # usable ratings a cell needs before it changes any weight, and another persona's cell of
    # the same (tone, intent) needs to be compared with it
    min_ratings: int = 3
    prior_strength: float = 5.0  # pseudo-ratings at the (tone, intent)'s mean
    min_weight: float = 0.5
    max_weight: float = 2.0


@dataclass(frozen=True)
class Cell:
    tone: str
    intent: str
    persona: str
    n: int
    mean: float  # raw mean satisfaction of the cell
    kind_mean: float  # of every usable rating of the same (tone, intent), whichever persona
    weight: float  # the lift applied to matching corpus records (1.0: nothing to compare)


@dataclass
class TrainingSet:
    train: list[dict]
    heldout: list[dict]
    weights: dict[str, np.ndarray]  # head -> per-train-record sample weight
    cells: list[Cell] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def usable(turn: Rated) -> str | None:
    """None when the ratings (one turn's, or a group's of turns alike) can teach persona fit,
    else why not."""
    if turn.crisis:
        return "crisis"
    if turn.persona_source not in FIT_SOURCES:
        if turn.persona_source in NOT_CHOSEN_BY_POLICY:
            return turn.persona_source
        return "personalized" if turn.persona_source else "unknown_source"
    if turn.persona not in HEADS["persona"]:
        return "unknown_persona"
    if turn.tone not in HEADS["tone"] or turn.intent not in HEADS["intent"]:
        return "unlabelled"
    if not turn.in_range:
        return "bad_reward"
    return None


def persona_cells(
    rated: Iterable[Rated], config: FeedbackConfig = FeedbackConfig()
) -> tuple[list[Cell], dict[str, Any]]:
    """The (tone, intent, persona) cells the ratings say something about, and a summary."""
    excluded: Counter[str] = Counter()
    n: Counter[tuple[str, str, str]] = Counter()
    total: defaultdict[tuple[str, str, str], float] = defaultdict(float)
    used, used_total = 0, 0.0
    for turn in rated:
        if reason := usable(turn):
            excluded[reason] += turn.n
            continue
        key = (str(turn.tone), str(turn.intent), str(turn.persona))
        n[key] += turn.n
        total[key] += turn.reward_sum
        used += turn.n
        used_total += turn.reward_sum
    # per kind of message (tone, intent): its ratings, and its personas with enough of them
    kind_n: Counter[tuple[str, str]] = Counter()
    kind_total: defaultdict[tuple[str, str], float] = defaultdict(float)
    compared: Counter[tuple[str, str]] = Counter()
    for key, count in n.items():
        kind_n[key[:2]] += count
        kind_total[key[:2]] += total[key]
        compared[key[:2]] += count >= config.min_ratings
    cells = []
    for key in sorted(n):
        kind_mean = kind_total[key[:2]] / kind_n[key[:2]]
        weight = 1.0
        if n[key] >= config.min_ratings and compared[key[:2]] >= 2 and kind_mean > 0:
            shrunk = (total[key] + config.prior_strength * kind_mean) / (
                n[key] + config.prior_strength
            )
            weight = float(np.clip(shrunk / kind_mean, config.min_weight, config.max_weight))
        cells.append(
            Cell(
                *key,
                n=n[key],
                mean=round(total[key] / n[key], 4),
                kind_mean=round(kind_mean, 4),
                weight=round(weight, 4),
            )
        )
    summary = {
        "rated_turns": used + sum(excluded.values()),
        "used": used,
        "excluded": dict(sorted(excluded.items())),
        "mean_reward": round(used_total / used, 4) if used else 0.0,
        "cells": len(cells),
        "kinds_compared": sum(c >= 2 for c in compared.values()),
        "cells_weighted": sum(c.weight != 1.0 for c in cells),
        "config": config.__dict__,
    }
    return cells, summary


def corrupt_labels_for_tests(records: list[dict], fraction: float) -> tuple[list[dict], int]:
    """TESTS ONLY. A fixed `fraction` of records (by a salted hash of their key) get every label
    replaced by a wrong one (the next label of the set) and their crisis flag flipped."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("fraction must be in [0, 1]")
    out, changed = [], 0
    for r in records:
        if split.draw(split.key(r["text"]), salt="corrupt") < fraction:
            bad = dict(r)
            for head, labels in HEADS.items():
                bad[head] = labels[(labels.index(r[head]) + 1) % len(labels)]
            bad["crisis"] = not r["crisis"]
            out.append(bad)
            changed += 1
        else:
            out.append(r)
    return out, changed


def sampled(records: list[dict], fraction: float) -> list[dict]:
    """A fixed `fraction` of records, the same ones on every run; all of them at 1."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError("fraction must be in (0, 1]")
    return [
        r
        for r in records
        if fraction == 1.0 or split.draw(split.key(r["text"]), salt="sample") < fraction
    ]


def build(
    records: list[dict],
    rated: Iterable[Rated] = (),
    *,
    config: FeedbackConfig = FeedbackConfig(),
    corrupt_fraction: float = 0.0,
    sample: float = 1.0,
) -> TrainingSet:
    """Train/held-out by the fixed split (held-out is never trained on), sorted by key so the
    order is reproducible, with the persona head's weights from the ratings. `sample` < 1 keeps
    that share of both sides (the quick config: a test of the job, not a model)."""
    train, heldout, _ = split.partition(records)
    train, heldout = sampled(train, sample), sampled(heldout, sample)
    train.sort(key=lambda r: split.key(r["text"]))
    heldout.sort(key=lambda r: split.key(r["text"]))
    held_keys = {split.key(r["text"]) for r in heldout}
    assert not any(split.key(r["text"]) in held_keys for r in train), "held-out leaked"
    corrupted = 0
    if corrupt_fraction:
        train, corrupted = corrupt_labels_for_tests(train, corrupt_fraction)
    cells, feedback = persona_cells(rated, config)
    lift = {(c.tone, c.intent, c.persona): c.weight for c in cells}
    persona_w = np.array([lift.get((r["tone"], r["intent"], r["persona"]), 1.0) for r in train])
    weights = {head: np.ones(len(train)) for head in HEAD_NAMES}
    weights["persona"] = persona_w
    summary = {
        "corpus_records": len(records),
        "train": len(train),
        "heldout": len(heldout),
        "sample": sample,
        "feedback": feedback,
        "persona_records_reweighted": int((persona_w != 1.0).sum()),
        "persona_weight_range": [float(persona_w.min()), float(persona_w.max())]
        if len(train)
        else [1.0, 1.0],
        "test_only_corrupted_records": corrupted,
    }
    return TrainingSet(train, heldout, weights, cells, summary)
