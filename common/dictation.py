"""Voice-typed text as it would be typed (pure): phones' dictation writes some marks as the
words it heard ("i took them all period") and keeps fillers ("um", a filler "like"). The crisis
patterns read it so (one more spelling) and the persona model is sent it so
(model_client.model_text), as it learnt from typed messages: "i took them all period" scored
0.196, "i took them all." 0.304; the session summary, the template's reading of short answers
and the sentiment read the marks as marks too. Imports nothing of common but the language
check: the model's venv reads this too."""

from __future__ import annotations

import re

from common.languages import not_english

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
_NOUN_BEFORE = frozenset(
    {"my", "your", "his", "her", "our", "their", "its", "the", "a", "an", "this", "that"}
    | {"each", "every", "any", "same", "whole", "first", "last", "next", "trial", "probation"}
    | {"grace", "notice", "waiting", "free", "time", "study", "rest", "cooling", "honeymoon"}
)
_SPOKEN = re.compile(
    r"\s+(period|full\s+stop|question\s+mark|exclamation\s+(?:mark|point)|comma"
    r"|new\s+(?:line|paragraph))\b"
    r"(?!\s+(?:of|pains?|cramps?|tracker|app|products?|symptoms|blood)\b)"
    r"(?:(?:(?<=line)|(?<=paragraph))[ \t]*)?",  # a new line's next line starts at its word
    re.IGNORECASE,
)
_WORD = re.compile(r"[\w']+$")


def _mark(match: re.Match[str]) -> str:
    """The mark a spoken one stands for, or the words as they were: a mark follows a word."""
    before = _WORD.search(match.string[max(0, match.start() - 20) : match.start()])
    if not before or before[0].lower() in _NOUN_BEFORE:
        return match[0]
    return _MARKS[" ".join(match[1].lower().split())]


def spoken_marks(text: str) -> str:
    """The text with spoken marks as the marks: "i tried yoga period it helped" is "i tried
    yoga. it helped"; "my period is late" is unchanged."""
    return _SPOKEN.sub(_mark, text)


# "like" as a filler ("so like i have an interview", "nervous like what if they ask"), which
# VADER scores +1.5 as the verb of "I like my job": after so/and/but or a hesitation, or before
# "what if", a hesitation or "you know".
_FILLER_LIKE = re.compile(
    r"\b(?P<before>so|and|but|u+m+|u+h+|erm)\s+like\b"
    r"|\blike\b(?=\s+(?:what\s+if|u+m+|u+h+|erm|you\s+know)\b)",
    re.IGNORECASE,
)


def without_filler_like(text: str) -> str:
    """The text with a filler "like" left out ("so like i" is "so i"), a verb kept."""
    return _FILLER_LIKE.sub(lambda m: m["before"] or "", text)


_FILLERS = r"\b(?:um+|uh+|uhm+|erm+)\b,?"
_FILLER = re.compile(rf"{_FILLERS}\s*(?=\S)|\s*{_FILLERS}\s*$", re.IGNORECASE)  # and its space


def as_typed(text: str) -> str:
    """`text` with spoken marks written as marks (spoken_marks) and, in English, um, uh and erm
    left out (German "um" is a word: "wir ziehen um")."""
    typed = spoken_marks(text)
    return typed if not_english(text) else _FILLER.sub("", typed)
