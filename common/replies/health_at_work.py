"""Health at work (the illness review), for the template's referrals (common.replies.sensitive.
professional_kind): a symptom that persists and a medicine's side effect, a doctor's or a
pharmacist's. Read on common.text.canonical_text (' for ’), case-insensitive; English only,
as the template's replies are."""

from __future__ import annotations

import re

from common.text import canonical_text

# A symptom said to last ("I'm tired all the time, been like this for 2 months", "I've had a
# cough for 6 weeks" got "put the facts in writing"): no diagnosis, no dose, a GP. The duration
# within a few words of the symptom: not "I'm exhausted from working on this bug for weeks",
# "tired of my boss all the time", "he's a pain all the time".
_SYMPTOM = (
    r"(?:tired(?!\s+of\b)|exhausted(?!\s+(?:by|from|of)\b)|fatigued?|(?<!\ba\s)pain(?!\s+in\s+the)"
    r"|aches?|headaches?|migraines?|cough(?:ing)?|dizz(?:y|iness)|nause(?:a|ous)|breathless\w*"
    r"|short\s+of\s+breath|rash|fever|sore\s+throat|lump|swelling|bleeding|numbness|insomnia"
    r"|can'?t\s+sleep|diarrh(?:o)?ea|vomiting|heartburn|palpitations|tingling)"
)
_LASTING = (
    r"(?:for\s+(?:(?:about|over|nearly|almost|more\s+than|the\s+(?:last|past))\s+)?(?:\d+|a\s+few"
    r"|a\s+couple\s+of|several|two|three|four|five|six|seven|eight|nine|ten|many)\s+(?:weeks|months"
    r"|years)|for\s+(?:weeks|months|ages|a\s+month|a\s+year)|all\s+the\s+time|every\s+(?:single\s+)?"
    r"day|(?:won'?t|doesn'?t|don'?t|never)\s+go(?:es)?\s+away|keeps?\s+coming\s+back)"
)
_PERSISTENT = re.compile(rf"\b{_SYMPTOM}\b(?:\s+[\w',]+){{0,3}}?\s+{_LASTING}\b", re.IGNORECASE)

# What a medicine does to them ("my meds make me sleepy at work" got "rate your energy ... I'm
# proud of you"), in a message that names one (common.replies.sensitive.names_medicine): not
# "my meds make me feel like myself again".
_EFFECT = (
    r"(?:sleepy|drowsy|tired|exhausted|dizzy|sick|nauseous|queasy|foggy|groggy|shaky|jittery"
    r"|anxious|sluggish|numb|flat|wired|restless|sweaty|spaced\s+out|awful|rough|terrible|weird"
    r"|strange|off|like\s+a\s+zombie|headaches?|migraines?|nausea|insomnia|rash(?:es)?"
    r"|brain\s+fog|stomach\s+(?:aches?|problems|issues|cramps)|the\s+shakes)"
)
_SIDE_EFFECT = re.compile(
    r"\b(?:make|makes|made|making|is\s+making|are\s+making)\s+me\s+(?:feel\s+)?(?:so\s+|really\s+"
    rf"|very\s+|more\s+|a\s+bit\s+|super\s+|too\s+|kind\s+of\s+|kinda\s+)?{_EFFECT}\b"
    rf"|\b(?:give|gives|gave|giving|is\s+giving|are\s+giving)\s+me\s+(?:\w+\s+)?{_EFFECT}\b"
    r"|\bside[\s-]effects?\b"
    r"|\b(?:started|starting|changed|switched|new)\b[^.!?]{0,40}?\b(?:(?:now\s+)?i'?m|i\s+am"
    r"|(?:now\s+)?i\s+feel|i'?ve\s+been|feeling)\s+(?:so\s+|really\s+|more\s+|very\s+|a\s+bit\s+)?"
    rf"{_EFFECT}\b",
    re.IGNORECASE,
)


def persistent_symptom(text: str) -> bool:
    """The message tells of a symptom that lasts (_PERSISTENT): for a GP, never a diagnosis."""
    return _PERSISTENT.search(canonical_text(text)) is not None


def side_effect(text: str) -> bool:
    """The message tells what something does to them, as a medicine's side effects are told
    (_SIDE_EFFECT); with a medicine named, for a doctor or pharmacist."""
    return _SIDE_EFFECT.search(canonical_text(text)) is not None
