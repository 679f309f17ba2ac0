"""The label sets of every head (the signal sets are shared with the backend)."""

from common.labels import INTENTS, PACES, PERSONA_IDS, TONES

HEADS = {"tone": TONES, "pace": PACES, "intent": INTENTS, "persona": PERSONA_IDS}
DOMAINS = (
    "careers",
    "job_search",
    "study",
    "coding",
    "managing_people",
    "side_projects",
    "creative_work",
    "habits_health",
    "money",
    "moving",
    "work_relationships",
    "general",
)
REGISTERS = ("formal", "casual", "slang", "typos", "lowercase", "emoji")
KINDS = (
    "ordinary",
    "sarcasm",
    "mixed_feelings",
    "whole_sentence",
    "follow_up",
    "crisis",
    "alarming_not_crisis",
)
