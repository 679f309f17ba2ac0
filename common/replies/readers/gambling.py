"""Gambling harm: chasing losses, money needed for living gambled away, a relapse, not being
able to stop; no steps, a referral."""

from __future__ import annotations

import re

from common.text import canonical_text

# Gambling harm (the money review: "I keep chasing my losses" got Riri's "Set a 25-minute timer
# ... Plan a small reward"; chasing losses is a DSM-5 criterion of gambling disorder): chasing
# losses, winning or getting it back in a message about betting, money needed gambled away, a
# relapse, not being able to stop. Not "chasing the bug", "I bet I can get it back to them".
_GAMBLING_WORD = (
    r"(?:(?<!\bi\s)(?<!\byou\s)\bbet(?:s|ting)?|gambl\w*|casinos?|slots?|poker|roulette"
    r"|blackjack|wager\w*|bookies?|sportsbook)\b"
)
# Money needed for living, gambled or bet ("I bet the rent money on a horse", not "I bet the
# money's gone").
_NEEDED = (
    r"(?:away\s+)?(?:all\s+)?(?:of\s+)?(?:my|our|the)\s+(?:whole\s+|entire\s+)?(?:rent|mortgage"
    r"|wages?|salary|pay(?:check|cheque)?|savings|bills?|money|food)"
)
_LOST = (
    r"(?:it|that|(?:the\s+|my\s+)?money|(?:my|the|those)\s+(?:\w+\s+)?loss(?:es)?|what\s+i\s+lost)"
)
_GAMBLING_HARM = re.compile(
    r"\bchas(?:e|es|ed|ing)\s+(?:(?:all\s+)?(?:my|our)\s+)?"
    r"(?:(?:gambling|betting|poker|casino)\s+)?loss(?:es)?\b"
    rf"|^(?=.*{_GAMBLING_WORD}).*?\b(?:win|won|get|make|earn)\s+(?:{_LOST}\s+(?:all\s+)?back"
    rf"|back\s+{_LOST})\b"
    rf"|\bgambl\w*\s+{_NEEDED}\b|\bbet\s+{_NEEDED}\b(?=[^.!?]*\b(?:on|at|and\s+lost)\b)"
    r"|\brelaps\w*\b(?=.*\bgambl)|\bgambl\w*\b.*\brelaps"
    r"|\b(?:can'?t|cannot|couldn'?t)\s+stop\s+(?:gambling|betting)\b",
    re.IGNORECASE | re.DOTALL,
)


def gambling_harm(text: str) -> bool:
    """The message speaks of gambling harm (_GAMBLING_HARM): no steps, a referral."""
    return _GAMBLING_HARM.search(canonical_text(text)) is not None
