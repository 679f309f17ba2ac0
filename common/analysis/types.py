"""Value types produced by text analysis: plain data, no behaviour beyond derived views."""

from dataclasses import dataclass, field

BASELINE = "baseline"  # Analysis.source: the lexicon read the message (the model did not answer)
# Analysis.source of a message not in English (common.languages.not_english), which the persona
# model does not read: the lexicon's tone, pace and intent, no persona head (the model's
# crisis head still counts when it answers), whether or not the model answered.
NOT_ENGLISH = "baseline_not_english"


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
    # A crisis's language as its patterns tell (common.analysis.safety.crisis_language; set by
    # the chat service with the resources): its reply and lines are in it. None: the locale's.
    language: str | None = None
    # The crisis signs read are told in the past or of recovery, nothing says they are back
    # (common.analysis.safety.lived_experience): no crisis, and the reply for lived experience.
    lived_experience: bool = False
    # A terminal prognosis of theirs ("the doctors say months") that the model alone flagged,
    # with no plan or means (common.analysis.with_model): no crisis, the end-of-life reply.
    end_of_life: bool = False


@dataclass(frozen=True)
class Analysis:
    sentiment: Sentiment
    tone: Distribution
    pace: Distribution
    intent: Distribution
    entities: tuple[Entity, ...] = field(default_factory=tuple)
    safety: Safety = Safety(crisis=False, probability=0.0)
    source: str = BASELINE  # BASELINE, NOT_ENGLISH or the model version that produced it
    persona: Distribution | None = None  # the model's own persona head, when it answered

    @property
    def read_by_model(self) -> bool:
        """The persona model's tone, pace, intent and persona head are in it."""
        return self.source not in (BASELINE, NOT_ENGLISH)
