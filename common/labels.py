"""The fixed label sets that clients, the model and analytics all depend on."""

from typing import Final

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
