"""Intrusive thoughts of harming someone, said as unwanted: a GP's or a therapist's, not a
crisis, however the persona model flags them, unless something says the user would act on them.
Read by the analysis (common.analysis.with_model) and the replies (common.replies.template).
English only, as the words are; pure."""

from __future__ import annotations

import re

from common.analysis.safety import normalise
from common.text import canonical_text

# Intrusive thoughts of harming someone, said as unwanted (the review of harm to others:
# "I keep having thoughts about pushing my coworker down the stairs and it scares me" got the
# crisis reply, "intrusive thoughts about hurting my baby ... I'd never do it" a ten-minute
# walk): common and treatable, a GP's or a therapist's, no crisis unless intent, a means or a
# time is said (the crisis patterns read those, not these). Named as intrusive, or thoughts,
# images or urges of hurting with fear of them or "I'd never" in the message, also pictured ("I
# keep picturing dropping my newborn down the stairs, it horrifies me"); and a parent scared or
# terrified they'll hurt, drop or drown their baby ("I'm scared I'll hurt the baby, I can't stop
# crying": the review of carers and new parents; perinatal OCD, BMJ 2019;367:l6574). Shaking is
# not among those: "I'm scared I'll shake the baby" gets the baby's own steps
# (common.family_safety).
_HURTING = (
    r"(?:hurting|harming|stabbing|pushing|killing|drowning|dropping|shaking|strangling|hitting"
    r"|attacking|smothering|suffocating|poisoning)"
)
_A_BABY = (
    r"\b(?:bab(?:y|ies)|newborn|infant|little\s+one|\d+\s+(?:day|week|month)s?\s+old)\b"
    r"(?!\s+(?:brother|sister|shower|monitor)\b)"
)
_INTRUSIVE = re.compile(
    r"\bintrusive\s+(?:thoughts?|images?|urges?|pictures?)\b"
    r"|^(?=.*\b(?:scares?|scared|scaring|terrif\w*|frighten\w*|horrif\w*|disgust\w*"
    r"|(?:i'?d|i\s+would|i'?ll|i\s+will)\s+never|would\s*n(?:o|')?t\s+(?:ever\s+)?(?:do|act)"
    r"|(?:don'?t|do\s+not)\s+want\s+to\s+(?:do|act|hurt|harm)|won'?t\s+(?:go\s+away|stop)"
    r"|can'?t\s+stop\s+(?:thinking|them|these|it))\b)"
    r".*\b(?:(?:thoughts?|images?|urges?|pictures?)\s+(?:about|of)|picturing|imagining"
    rf"|visuali[sz]ing)\s+(?:\w+\s+){{0,2}}?{_HURTING}\b"
    rf"|^(?=.*{_A_BABY}).*\b(?:scared|afraid|terrified|frightened)\s+(?:that\s+)?(?:i'?ll|i\s+will"
    r"|i\s+might|i\s+could|i'?m\s+going\s+to)\s+(?:\w+\s+){0,2}?(?:hurt|harm|drop|drown|smother"
    r"|suffocate|stab|hit|kill|push|poison)\b(?!\s+the\s+ball\b)",
    re.IGNORECASE | re.DOTALL,
)


def intrusive_thoughts(text: str) -> bool:
    """The message speaks of unwanted, intrusive thoughts of harming someone (_INTRUSIVE):
    calmly, common and treatable, a GP or a therapist."""
    return _INTRUSIVE.search(canonical_text(text)) is not None


# What keeps the model's flag on intrusive thoughts a crisis: intent ("I want to", "I'm going
# to"; not "I don't want to"), having come close or acted, losing control, a plan, a means or a
# time ("... and I have the knife", "tonight"). Read as common.analysis.safety.normalise leaves
# the text (apostrophes dropped).
_ACTS_ON_THEM = re.compile(
    r"\b(?:knife|knives|gun|guns|rifle|pistol|weapon|blade|pills|poison|rope|tonight|tomorrow"
    r"|right\s+now|this\s+(?:evening|afternoon|weekend)|(?:a|the|my)\s+plan|planned|planning"
    r"|(?:almost|nearly)\s+(?:did|do|done|acted|went|hurt|harmed)|started\s+to"
    r"|already\s+(?:hurt|harmed|did)|(?<!dont\s)(?<!not\s)(?<!never\s)(?:want|wanted|intend|mean)"
    r"\s+to\s+(?:do|act|hurt|harm|kill)|(?:im|i\s+am)\s+(?:going|gonna)\s+to"
    r"|i\s+will\s+(?:do|act|hurt|harm|kill)|(?:lose|losing|lost)\s+control"
    r"|(?:cant|can\s+not|cannot)\s+(?:control\s+(?:it|myself|them)|resist|stop\s+myself))\b"
)


def unwanted_thoughts(text: str) -> bool:
    """The message tells of intrusive thoughts of harming someone said as such, unwanted
    (intrusive_thoughts: "... and it scares me", "I would never"), and of nothing that would
    act on them (_ACTS_ON_THEM)."""
    return intrusive_thoughts(text) and not _ACTS_ON_THEM.search(normalise(text))
