"""Analyses built by hand for tests that must not depend on the analysers themselves."""

from __future__ import annotations

from common.analysis.types import Analysis, Distribution, Entity, Safety, Sentiment
from common.labels import INTENTS, PACES, TONES


def peaked(labels: tuple[str, ...], top: str, p: float = 0.7) -> Distribution:
    rest = (1 - p) / (len(labels) - 1)
    return Distribution({label: p if label == top else rest for label in labels})


def make_analysis(
    *,
    tone: str = "frustrated",
    pace: str = "urgent",
    intent: str = "problem_solving",
    entities: tuple[tuple[str, str], ...] = (),
    crisis: bool = False,
    resources: tuple[str, ...] = (),
) -> Analysis:
    upbeat = tone in ("excited", "calm", "curious")
    return Analysis(
        sentiment=Sentiment("positive", 0.6) if upbeat else Sentiment("negative", -0.6),
        tone=peaked(TONES, tone),
        pace=peaked(PACES, pace),
        intent=peaked(INTENTS, intent),
        entities=tuple(Entity(text, kind) for text, kind in entities),
        safety=Safety(crisis=crisis, probability=0.95 if crisis else 0.01, resources=resources),
    )
