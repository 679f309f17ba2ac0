"""Value types produced by text analysis: plain data, no behaviour beyond derived views."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Distribution:
    """A probability distribution over one fixed label set (probabilities sum to 1)."""

    probs: dict[str, float]

    @property
    def label(self) -> str:
        return max(self.probs, key=self.probs.__getitem__)

    @property
    def confidence(self) -> float:
        return self.probs[self.label]


@dataclass(frozen=True)
class Sentiment:
    label: str  # "positive" | "negative" | "neutral"
    score: float  # VADER compound score in [-1, 1]


@dataclass(frozen=True)
class Entity:
    text: str
    type: str  # one of common.labels.ENTITY_TYPES


@dataclass(frozen=True)
class Safety:
    crisis: bool
    probability: float
    resources: tuple[str, ...] = ()
    # What said crisis: "model", "patterns", "safety_answer" (a no to "Are you safe right now?",
    # or an answer to it that says the crisis is another person's).
    detected_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Analysis:
    sentiment: Sentiment
    tone: Distribution
    pace: Distribution
    intent: Distribution
    entities: tuple[Entity, ...] = field(default_factory=tuple)
    safety: Safety = Safety(crisis=False, probability=0.0)
    source: str = "baseline"  # "baseline" (lexicon) or the model version that produced it
    persona: Distribution | None = None  # the model's own persona head, when it answered
