"""A user who says they are under 18: the product stores no age, so only what they write can
say so."""

from __future__ import annotations

import re

from common.text import canonical_text

# A user who says they are under 18 ("I'm 14 and ...", "i am 15, ..."): the product stores no
# age (README, "Audience and safeguarding"), so only the message or its window can say so. Not
# "I'm 15 minutes late", nor "explain index funds to me like im 12" (the corpus).
_MINOR = re.compile(
    r"(?<!like\s)\b(?:i'?m|i\s+am|im)\s+(?:only\s+|just\s+)?(?:1[0-7]|[89])"
    r"(?:\s*(?:years?\s+old|y/?o|yrs?(?:\s+old)?))?"
    r"(?=\s*(?:[,.!?;:)]|$|and\b|but\b|so\b|btw\b|lol\b))",
    re.IGNORECASE,
)


def stated_minor(text: str) -> bool:
    """The message says the user is under 18 (_MINOR)."""
    return _MINOR.search(canonical_text(text)) is not None
