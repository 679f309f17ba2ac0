"""The ResonanceBasedRouter picks the persona that fits, explains why, and trusts only a valid
affinity matrix."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest

from common.analysis import analyze_baseline
from common.analysis.types import Analysis, Distribution, Sentiment
from common.labels import INTENTS, PACES, PERSONA_IDS, SIGNALS, TONES
from common.personas import PERSONAS
from common.routing import RankedPersona, ResonanceBasedRouter
from common.routing.router import AFFINITY_PATH, CITED_CONFIDENCE

ALL_LABELS = (*TONES, *PACES, *INTENTS)


def dist(labels: tuple[str, ...], **probs: float) -> Distribution:
    """A distribution over a label set: the given probabilities, the rest shared equally."""
    rest = (1.0 - sum(probs.values())) / max(1, len(labels) - len(probs))
    return Distribution(probs={label: probs.get(label, rest) for label in labels})


def analysis(
    tone: dict[str, float] | None = None,
    pace: dict[str, float] | None = None,
    intent: dict[str, float] | None = None,
) -> Analysis:
    return Analysis(
        sentiment=Sentiment("neutral", 0.0),
        tone=dist(TONES, **(tone or {})),
        pace=dist(PACES, **(pace or {})),
        intent=dist(INTENTS, **(intent or {})),
    )


@pytest.fixture(scope="module")
def router() -> ResonanceBasedRouter:
    return ResonanceBasedRouter()


@pytest.mark.parametrize(
    ("text", "persona", "within"),
    [
        ("I feel so alone lately", "lua", 1),
        ("I'm so anxious about tomorrow, I can't sleep 😰", "lua", 1),
        ("GOT THE JOB!!! 🎉", "nana", 2),
        ("good morning! just checking in", "nana", 1),
        ("explain how python decorators work", "elro", 1),
        ("should I take the offer from Stripe or stay?", "elro", 1),
        ("help me plan a roadmap for next month", "elro", 1),
        ("I have a deadline tomorrow and nothing works!!!", "riri", 1),
        ("I keep procrastinating and can't get started", "riri", 1),
    ],
)
def test_the_fitting_persona_ranks_high(
    router: ResonanceBasedRouter, text: str, persona: str, within: int
) -> None:
    ranked = router.rank(analyze_baseline(text))
    assert persona in [r.id for r in ranked[:within]]


def test_rank_returns_named_rounded_explained_personas(router: ResonanceBasedRouter) -> None:
    ranked = router.rank(analyze_baseline("I feel so alone lately"))
    assert len(ranked) == 3
    assert len({r.id for r in ranked}) == 3
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    for r in ranked:
        assert isinstance(r, RankedPersona)
        assert r.name == PERSONAS[r.id].name
        assert 0.0 <= r.score <= 1.0
        assert r.score == round(r.score, 4)
        assert len(r.reasons) == 2
        assert all(r.name in reason for reason in r.reasons)
    with pytest.raises(AttributeError):
        ranked[0].score = 1.0  # type: ignore[misc]


@pytest.mark.parametrize("top", [1, 2, 3, 4])
def test_rank_returns_the_requested_number(router: ResonanceBasedRouter, top: int) -> None:
    ranked = router.rank(analyze_baseline("hi"), top=top)
    assert len(ranked) == top
    full = router.rank(analyze_baseline("hi"), top=4)
    assert [r.id for r in ranked] == [r.id for r in full[:top]]


def test_rank_rejects_a_non_positive_top(router: ResonanceBasedRouter) -> None:
    with pytest.raises(ValueError):
        router.rank(analyze_baseline("hi"), top=0)


def test_reasons_come_from_the_labels_that_contribute_most(router: ResonanceBasedRouter) -> None:
    a = analysis(tone={"anxious": 0.9}, pace={"reflective": 0.9}, intent={"check_in": 0.9})
    lua = next(r for r in router.rank(a, top=4) if r.id == "lua")
    matrix = router.matrix["lua"]
    # Contributions: anxious .4*.9*.95, reflective .2*.9*.95, check_in .4*.9*.55.
    assert lua.reasons == (matrix["anxious"].reason, matrix["check_in"].reason)
    assert lua.reasons[0] == "You sound anxious: Lua slows things down"


def test_reasons_cite_only_the_labels_the_analysis_reports(router: ResonanceBasedRouter) -> None:
    # The words review: "Your pace is steady: Elro takes it step by step" beside pace "urgent".
    a = analysis(
        tone={"anxious": 0.44, "excited": 0.19},
        pace={"urgent": 0.5, "steady": 0.45},
        intent={"learning": 0.9},
    )
    for ranked in router.rank(a, top=4):
        matrix = router.matrix[ranked.id]
        cited = {label for label in matrix if matrix[label].reason in ranked.reasons}
        assert cited <= {"anxious", "urgent", "learning"}, (ranked.id, ranked.reasons)


def test_reasons_cite_a_label_only_when_it_is_read_with_cited_confidence(
    router: ResonanceBasedRouter,
) -> None:
    # The reasons review: "You sound calm" at 0.46 for "I have an exam tomorrow and I can't stop
    # worrying", and at 0.18 for "hello" (uniform is 0.125): a reading that unsure is no reason.
    unsure = analysis(tone={"calm": 0.46}, pace={"reflective": 0.4}, intent={"check_in": 0.49})
    for ranked in router.rank(unsure, top=4):
        assert ranked.reasons == (f"{ranked.name} fits this kind of message.",)
    sure = analysis(tone={"calm": CITED_CONFIDENCE}, pace={"reflective": 0.4})
    lua = next(r for r in router.rank(sure, top=4) if r.id == "lua")
    assert lua.reasons == (router.matrix["lua"]["calm"].reason,)  # calm alone is sure enough
    for text in ("hello", "I have an exam tomorrow and I can't stop worrying"):
        for ranked in router.rank(analyze_baseline(text), top=4):
            assert not any(reason.startswith("You sound calm") for reason in ranked.reasons)


def test_score_is_the_expected_affinity(router: ResonanceBasedRouter) -> None:
    a = analysis(tone={"sad": 0.5, "excited": 0.3}, pace={"urgent": 0.6}, intent={"planning": 0.7})
    scores = router.score(a)
    assert list(scores) == list(PERSONA_IDS)
    for persona_id, score in scores.items():
        row = router.matrix[persona_id]
        expected = sum(
            weight * sum(p * row[label].value for label, p in getattr(a, group).probs.items())
            for group, weight in (("tone", 0.4), ("pace", 0.2), ("intent", 0.4))
        )
        assert math.isclose(score, expected, abs_tol=1e-12)
        assert 0.0 <= score <= 1.0


def test_a_split_distribution_is_scored_by_expectation_not_by_its_top_label(
    router: ResonanceBasedRouter,
) -> None:
    # Each top label (excited, check-in) says Nana, but two thirds of the mass says a worried,
    # overwhelmed person who needs support: Lua.
    a = analysis(
        tone={"excited": 0.34, "anxious": 0.33, "overwhelmed": 0.33},
        pace={"reflective": 0.34, "urgent": 0.33, "steady": 0.33},
        intent={"check_in": 0.34, "emotional_support": 0.33, "decision_making": 0.33},
    )

    def top_label_only(persona_id: str) -> float:
        row = router.matrix[persona_id]
        return sum(
            w * row[getattr(a, g).label].value
            for g, w in (("tone", 0.4), ("pace", 0.2), ("intent", 0.4))
        )

    by_top_label = max(PERSONA_IDS, key=top_label_only)
    by_expectation = router.rank(a, top=1)[0].id
    assert by_top_label == "nana"
    assert by_expectation == "lua"


def test_group_weights_change_the_outcome() -> None:
    # A frustrated learner: the tone says Riri, the intent says Elro.
    a = analysis(tone={"frustrated": 0.9}, intent={"learning": 0.9})
    tone_led = ResonanceBasedRouter(tone_weight=1.0, pace_weight=0.0, intent_weight=0.0)
    intent_led = ResonanceBasedRouter(tone_weight=0.0, pace_weight=0.0, intent_weight=1.0)
    assert tone_led.rank(a, top=1)[0].id == "riri"
    assert intent_led.rank(a, top=1)[0].id == "elro"


def test_group_weights_are_normalised() -> None:
    a = analysis(tone={"sad": 0.8}, intent={"learning": 0.6})
    default = ResonanceBasedRouter().score(a)
    doubled = ResonanceBasedRouter(tone_weight=0.8, pace_weight=0.4, intent_weight=0.8).score(a)
    assert default == pytest.approx(doubled)


@pytest.mark.parametrize(
    "weights",
    [
        {"tone_weight": -0.1},
        {"tone_weight": 0.0, "pace_weight": 0.0, "intent_weight": 0.0},
        {"pace_weight": float("nan")},
    ],
)
def test_invalid_group_weights_are_rejected(weights: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ResonanceBasedRouter(**weights)


def test_a_distribution_missing_labels_is_renormalised(router: ResonanceBasedRouter) -> None:
    partial = Analysis(
        sentiment=Sentiment("neutral", 0.0),
        tone=Distribution(probs={"excited": 2.0}),  # unnormalised, other labels missing
        pace=Distribution(probs={}),  # nothing known: treated as uniform
        intent=Distribution(probs={"check_in": 1.0, "unknown_label": 5.0}),
    )
    full = analysis(
        tone={"excited": 1.0},
        pace={p: 1 / 3 for p in PACES},
        intent={"check_in": 1.0},
    )
    assert router.score(partial) == pytest.approx(router.score(full))


# --- The matrix itself -------------------------------------------------------------------


def shipped() -> dict[str, Any]:
    return json.loads(AFFINITY_PATH.read_text(encoding="utf-8"))


def test_the_shipped_matrix_has_76_explained_values(router: ResonanceBasedRouter) -> None:
    assert set(router.matrix) == set(PERSONA_IDS)
    cells = [router.matrix[p][label] for p in PERSONA_IDS for label in ALL_LABELS]
    assert len(cells) == 76
    assert all(0.0 <= c.value <= 1.0 and c.reason for c in cells)
    for persona_id in PERSONA_IDS:
        name = PERSONAS[persona_id].name
        assert all(name in router.matrix[persona_id][label].reason for label in ALL_LABELS)


@pytest.mark.parametrize(
    ("persona", "labels"),
    [
        ("lua", ("anxious", "sad", "overwhelmed", "reflective", "emotional_support")),
        ("riri", ("urgent", "problem_solving", "motivation", "frustrated")),
        ("elro", ("learning", "decision_making", "planning", "confused", "curious")),
        ("nana", ("excited", "check_in", "feedback", "calm")),
    ],
)
def test_each_persona_is_the_best_fit_for_its_signals(
    router: ResonanceBasedRouter, persona: str, labels: tuple[str, ...]
) -> None:
    for label in labels:
        best = max(PERSONA_IDS, key=lambda p: router.matrix[p][label].value)
        assert best == persona, label
        others = [router.matrix[p][label].value for p in PERSONA_IDS if p != persona]
        assert router.matrix[persona][label].value > max(others)


def test_ties_are_broken_by_persona_order(tmp_path: Path) -> None:
    flat = shipped()
    for persona_id in PERSONA_IDS:
        for label in ALL_LABELS:
            flat[persona_id][label]["value"] = 0.5
    path = tmp_path / "flat.json"
    path.write_text(json.dumps(flat), encoding="utf-8")
    ranked = ResonanceBasedRouter(path).rank(analyze_baseline("anything at all"), top=4)
    assert [r.id for r in ranked] == list(PERSONA_IDS)
    assert {r.score for r in ranked} == {0.5}


def _break(mutate: Any) -> dict[str, Any]:
    data = copy.deepcopy(shipped())
    mutate(data)
    return data


BROKEN = {
    "missing persona": lambda d: d.pop("riri"),
    "unknown persona": lambda d: d.update(zed=copy.deepcopy(d["lua"])),
    "missing label": lambda d: d["lua"].pop("calm"),
    "unknown label": lambda d: d["nana"].update(bored={"value": 0.5, "reason": "Meh"}),
    "value above 1": lambda d: d["elro"]["learning"].update(value=1.5),
    "negative value": lambda d: d["elro"]["learning"].update(value=-0.1),
    "value not a number": lambda d: d["elro"]["learning"].update(value="high"),
    "value a boolean": lambda d: d["elro"]["learning"].update(value=True),
    "empty reason": lambda d: d["riri"]["urgent"].update(reason="  "),
    "missing reason": lambda d: d["riri"]["urgent"].pop("reason"),
    "cell not an object": lambda d: d["riri"].update(urgent=0.9),
    # A misspelt key beside the real ones: the edit it carries would silently not take.
    "unknown key in a cell": lambda d: d["riri"]["urgent"].update(reasn="A new reason"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_matrix_is_rejected(tmp_path: Path, case: str) -> None:
    path = tmp_path / "affinity.json"
    path.write_text(json.dumps(_break(BROKEN[case])), encoding="utf-8")
    with pytest.raises(ValueError):
        ResonanceBasedRouter(path)


def test_a_matrix_that_is_not_json_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "affinity.json"
    path.write_text('{"lua": {', encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        ResonanceBasedRouter(path)


def test_an_unchanged_copy_of_the_matrix_loads(tmp_path: Path) -> None:
    path = tmp_path / "affinity.json"
    path.write_text(json.dumps(shipped()), encoding="utf-8")
    a = analyze_baseline("I feel so alone lately")
    assert ResonanceBasedRouter(path).score(a) == ResonanceBasedRouter().score(a)


def test_signal_groups_match_the_label_sets() -> None:
    assert set(SIGNALS) == {"tone", "pace", "intent"}
