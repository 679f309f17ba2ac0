"""Voice-typed text as it would be typed (pure): phones' dictation writes some marks as the
words it heard ("i took them all period") and keeps fillers ("um"). Read so by the crisis
patterns (one more spelling) and sent so to the persona model (model_client.model_text),
which learnt from typed messages: "i took them all period" scored 0.196, "i took them all."
0.304. Imports nothing of common but the language check: the model's venv reads this too."""

from __future__ import annotations

import re

from common.languages import not_english

_MARKS = {
    "period": ".",
    "full stop": ".",
    "question mark": "?",
    "exclamation mark": "!",
    "exclamation point": "!",
    "comma": ",",
    "new line": "\n",
    "new paragraph": "\n\n",
}
_SPOKEN = re.compile(
    r"\s*\b(period|full\s+stop|question\s+mark|exclamation\s+(?:mark|point)|comma|new\s+"
    r"(?:line|paragraph))\b(?:(?:(?<=line)|(?<=paragraph))[ \t]*)?",
    re.IGNORECASE,
)
# A word before it that makes it the noun: "my period is late", "a trial period", "the comma".
_NOUN_AFTER = frozenset(
    ("my", "her", "his", "your", "their", "our", "the", "a", "an", "this", "that", "each")
    + ("every", "trial", "probation", "grace")
)
_LAST_WORD = re.compile(r"(\w+)\s*$")
_LOOK_BACK = 30  # characters: the word before a mark is short
_FILLERS = r"\b(?:um+|uh+|uhm+|erm+)\b,?"
_FILLER = re.compile(rf"{_FILLERS}\s*(?=\S)|\s*{_FILLERS}\s*$", re.IGNORECASE)  # and its space


def _mark(match: re.Match[str]) -> str:
    before = _LAST_WORD.search(match.string, max(0, match.start() - _LOOK_BACK), match.start())
    if before and before[1].lower() in _NOUN_AFTER:
        return match[0]
    return _MARKS[" ".join(match[1].lower().split())]


def as_typed(text: str) -> str:
    """`text` with spoken marks written as marks ("... all period" -> "... all.") and, in
    English, um, uh and erm left out (German "um" is a word: "wir ziehen um")."""
    typed = _SPOKEN.sub(_mark, text)
    return typed if not_english(text) else _FILLER.sub("", typed)
