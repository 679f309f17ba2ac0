"""The fixed label sets that clients, the model and analytics all depend on: each a Literal type,
for the API models whose schema lists it and for type checkers (a Literal built from a tuple,
Literal[TONES], is one they cannot read), and the same set as a tuple, in its order."""

from typing import Final, Literal, get_args

Tone = Literal[
    "frustrated",
    "anxious",
    "sad",
    "overwhelmed",
    "confused",
    "curious",
    "excited",
    "calm",
]
Pace = Literal["urgent", "steady", "reflective"]
Intent = Literal[
    "problem_solving",
    "learning",
    "emotional_support",
    "decision_making",
    "planning",
    "motivation",
    "feedback",
    "check_in",
]
PersonaId = Literal["lua", "riri", "elro", "nana"]
EntityType = Literal["date_time", "duration", "money", "organization", "tool", "role"]
SentimentLabel = Literal["positive", "negative", "neutral"]  # common.analysis.sentiment's labels

TONES: Final[tuple[str, ...]] = get_args(Tone)
PACES: Final[tuple[str, ...]] = get_args(Pace)
INTENTS: Final[tuple[str, ...]] = get_args(Intent)
PERSONA_IDS: Final[tuple[str, ...]] = get_args(PersonaId)
ENTITY_TYPES: Final[tuple[str, ...]] = get_args(EntityType)
SENTIMENTS: Final[tuple[str, ...]] = get_args(SentimentLabel)
SIGNALS: Final = {"tone": TONES, "pace": PACES, "intent": INTENTS}
