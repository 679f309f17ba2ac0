"""The fixed label sets that clients, the model and analytics all depend on."""

from typing import Final, Literal

TONES: Final = (
    "frustrated",
    "anxious",
    "sad",
    "overwhelmed",
    "confused",
    "curious",
    "excited",
    "calm",
)
PACES: Final = ("urgent", "steady", "reflective")
INTENTS: Final = (
    "problem_solving",
    "learning",
    "emotional_support",
    "decision_making",
    "planning",
    "motivation",
    "feedback",
    "check_in",
)
SIGNALS: Final = {"tone": TONES, "pace": PACES, "intent": INTENTS}
PERSONA_IDS: Final = ("lua", "riri", "elro", "nana")
ENTITY_TYPES: Final = ("date_time", "duration", "money", "organization", "tool", "role")
SENTIMENTS: Final = ("positive", "negative", "neutral")  # common.analysis.sentiment's labels

# The same sets as types, for the API models whose schema lists them (Literal[("a", "b")] is
# Literal["a", "b"]).
PersonaId = Literal[PERSONA_IDS]
Tone = Literal[TONES]
Pace = Literal[PACES]
Intent = Literal[INTENTS]
SentimentLabel = Literal[SENTIMENTS]
EntityType = Literal[ENTITY_TYPES]
