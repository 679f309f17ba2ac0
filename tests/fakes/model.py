"""A persona model that answers in-process, for tests of what the analysis makes of its crisis
flag (common.analysis.with_model): every head flat, the crisis head flagging what it is told."""

from __future__ import annotations

from collections.abc import Callable

from common.analysis import with_model
from common.analysis.types import Analysis
from common.labels import INTENTS, PACES, PERSONA_IDS, TONES
from common.model_client import ModelPrediction, parse_prediction
from common.plain_text import as_read


def _flat(labels: tuple[str, ...]) -> dict:
    return {"label": labels[0], "probs": {x: 1 / len(labels) for x in labels}}


class FlaggingModel:
    """Flags the messages in `flagged` (every message when `everything`) at 0.99."""

    def __init__(self, *flagged: str, everything: bool = False) -> None:
        # as the analysis hands it the text (typographic marks made plain)
        self.flagged, self.everything = frozenset(map(as_read, flagged)), everything

    def predict(self, text: str) -> ModelPrediction:
        crisis = self.everything or text in self.flagged
        return parse_prediction({
            "tone": _flat(TONES), "pace": _flat(PACES), "intent": _flat(INTENTS),
            "persona": _flat(PERSONA_IDS), "model_version": "pm-test",
            "crisis": {"probability": 0.99 if crisis else 0.01, "flag": crisis},
        })  # fmt: skip


Analyze = Callable[[str], tuple[Analysis, list[str]]]


def flagging(*flagged: str, everything: bool = False) -> Analyze:
    """The analysis with FlaggingModel answering."""
    model = FlaggingModel(*flagged, everything=everything)
    return lambda text: with_model.analyze(text, model=model)
