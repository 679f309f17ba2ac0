"""Eating: far too little on purpose (a doctor's question, asked or not), and an eating disorder
named (no walk or other exercise among the steps)."""

from __future__ import annotations

import re

from common.text import canonical_text

# Eating far below what a body needs (the health-habits review: "I've been eating 500 calories a
# day to hit my weight goal" got "lovely to hear you sounding so settled", "I skip meals on
# purpose so I can lose weight faster, how do I stay motivated?" motivation steps): no crisis
# (purging and laxatives are, common/analysis/safety_phrases.json), but no push, and a doctor.
# Not "my watch says I burned 900 cals" or "I had to skip lunch to get it done".
_HEALTH_RISK = re.compile(
    r"\b(?:eat|eats|eating|ate|have|having|let\s+myself\s+(?:eat|have)|allow\s+myself)\s+"
    r"(?:(?:only|just|about|around|under|less\s+than|barely|like|maybe)\s+)?(?:[1-9]\d|[1-7]\d\d)"
    r"\s*(?:calories|cals|kcal)\s+(?:a|per|each)\s+day"
    r"|\bskip(?:s|ping|ped)?\s+(?:meals|lunch|breakfast|dinner|food|eating)\s+"
    r"(?:on\s+purpose|to\s+lose\s+weight)\b",
    re.IGNORECASE,
)


# An eating disorder named (the recovery review: "I was in hospital for my eating disorder
# last spring, now I'm planning my return to uni" got "step outside for a ten-minute walk,
# because movement shifts how the mind feels": exercise can be part of the disorder). A stay
# in hospital or treatment for one is a heavy event.
_EATING_DISORDER = r"(?:eating\s+disorders?|anorexi\w*|bulimi\w*|binge[\s-]eating|arfid|(?-i:ED))"
_EATING_DISORDER_RE = re.compile(rf"\b{_EATING_DISORDER}\b", re.IGNORECASE)
_TREATED = r"(?:hospital\w*|inpatient|treatment|rehab|clinic|admitted|sectioned|ward|residential)"
_EATING_DISORDER_STAY = re.compile(
    rf"\b{_TREATED}\b[^.!?]{{0,50}}?\b{_EATING_DISORDER}\b"
    rf"|\b{_EATING_DISORDER}\b[^.!?]{{0,50}}?\b{_TREATED}\b",
    re.IGNORECASE,
)


def eating_disorder(text: str) -> bool:
    """The message names an eating disorder: no walk or other exercise among the steps."""
    return _EATING_DISORDER_RE.search(canonical_text(text)) is not None


def health_risk(text: str) -> bool:
    """The message says they eat far too little on purpose (_HEALTH_RISK): gently, a doctor."""
    return _HEALTH_RISK.search(canonical_text(text)) is not None
