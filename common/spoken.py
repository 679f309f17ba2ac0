"""Dictated text read as it was meant: spoken punctuation as marks (pure, standard library only)."""

from __future__ import annotations

import re

# Dictation apps write a spoken mark out when they miss it ("i tried yoga period it helped").
_MARKS = {
    "period": ".",
    "full stop": ".",
    "question mark": "?",
    "exclamation mark": "!",
    "exclamation point": "!",
    "comma": ",",
    "new line": "\n",
    "new paragraph": "\n",
}
# After these the word is a noun ("my period is late", "a trial period", "a question mark over
# my job", "came to a full stop", "our new line manager"), as it is before "of" or a word that
# only goes with a menstrual period ("period pain").
_NOUN_BEFORE = (
    *("my", "your", "his", "her", "our", "their", "its", "the", "a", "an", "this", "that"),
    *("each", "every", "any", "same", "whole", "first", "last", "next", "trial", "probation"),
    *("grace", "notice", "waiting", "free", "time", "study", "rest", "cooling", "honeymoon"),
)
_SPOKEN = re.compile(
    r"(?<=[\w'])"
    + "".join(rf"(?<!\b{word})" for word in _NOUN_BEFORE)
    + r"\s+(period|full\s+stop|question\s+mark|exclamation\s+(?:mark|point)|comma"
    r"|new\s+(?:line|paragraph))\b"
    r"(?!\s+(?:of|pains?|cramps?|tracker|app|products?|symptoms|blood)\b)",
    re.IGNORECASE,
)


def spoken_marks(text: str) -> str:
    """The text with spoken marks as the marks: "i tried yoga period it helped" is "i tried
    yoga. it helped"; "my period is late" is unchanged. A mark must follow a word."""
    return _SPOKEN.sub(lambda m: _MARKS[" ".join(m[1].lower().split())], text)
