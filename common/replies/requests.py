"""A user's requests about how to be answered, read from their message (English, pure): "just
listen", "stop", "shorter please", "stop asking how I feel", "in German please". Read clause by
clause, each clause whole, so that "I can't stop procrastinating", "how do I stop a docker
container" or "my exam in German" asks for nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from common.text import canonical_text

LISTEN = "listen"
STOP = "stop"
SHORTER = "shorter"
NO_QUESTIONS = "no_questions"
LANGUAGE = "language"  # another language than the message's (English)

_LISTEN = frozenset(
    {"listen", "listen to me", "i need you to listen", "i just need you to listen"}
    | {"no advice", "no steps", "no solutions", "no more advice", "no more steps"}
    | {"i don't want advice", "i don't need advice", "i don't want any advice"}
    | {"i don't want solutions", "don't fix it", "don't try to fix it", "stop giving advice"}
    | {"stop giving me advice", "i want to vent", "i just want to vent", "i need to vent"}
    | {"let me vent"}
)
_STOP = frozenset({"stop", "stop it", "stop that", "stop talking", "enough", "that's enough"})
_SHORTER = frozenset(
    {"shorter", "be shorter", "too long", "that's too long", "way too long", "much shorter"}
    | {"tldr", "short version", "the short version", "shorter version"}
    | {"one line", "in one line", "one sentence", "in one sentence", "less text"}
    | {"keep it short", "keep it shorter", "make it shorter", "shorter answers"}
    | {"shorter replies", "be brief", "briefly", "be concise", "more concise", "too wordy"}
    | {"get to the point", "be direct", "be more direct", "more direct", "sum it up"}
)
_ASKING = ("stop asking", "stop asking me", "quit asking", "don't ask", "don't ask me")
_ABOUT = ("how i feel", "how i'm feeling", "how that feels", "about my feelings", "questions")
_NO_QUESTIONS = frozenset(f"{ask} {about}" for ask in _ASKING for about in _ABOUT) | frozenset(
    {"no questions", "no more questions", "enough questions", "enough with the questions"}
    | {"no questions about my feelings", "no more questions about my feelings"}
)
_KINDS = {LISTEN: _LISTEN, STOP: _STOP, SHORTER: _SHORTER, NO_QUESTIONS: _NO_QUESTIONS}
_LANGUAGES = (
    "spanish|german|french|portuguese|italian|dutch|japanese|chinese|mandarin|korean|arabic"
    "|hindi|russian|polish|turkish|ukrainian|greek|swedish"
)
# "in German", "answer in Spanish", "can we speak French", "German": a clause of its own.
_IN_LANGUAGE = re.compile(
    rf"(?:(?:do you |can we |let's )?(?:answer|reply|respond|write|talk|speak)(?: to me)?"
    rf"(?: in)? |in )?(?:{_LANGUAGES})"
)

# Where a clause ends: punctuation, or "and" / "but" between two requests.
_CLAUSE = re.compile(r"[.!?,;:\n]+|\s+(?:and|but)\s+")
# Politeness and time around a request: "please just listen", "from now on, be shorter".
_FILLER = (
    r"(?:ok|okay|so|and|but|please|pls|plz|just|hey|can you|could you|would you|will you"
    r"|from now on|now|then|thanks|thank you)"
)
_AROUND = re.compile(rf"^(?:{_FILLER}(?:\s+|$))+|(?:\s+{_FILLER})+$")
_ASIDE = frozenset({"no", "nope", "sorry"})  # a clause of its own: "no, stop"


@dataclass(frozen=True)
class Asked:
    """What a message asks of the way it is answered."""

    kinds: frozenset[str] = frozenset()
    only: bool = False  # the message says nothing else: it is all requests

    def __contains__(self, kind: str) -> bool:
        return kind in self.kinds


def asked(message: str) -> Asked:
    """The requests about how to answer among the message's clauses."""
    kinds: set[str] = set()
    other = False
    text = canonical_text(message).lower().replace("tl;dr", "tldr")  # one word, not 2 clauses
    for clause in _CLAUSE.split(text):
        said = _AROUND.sub("", " ".join(re.findall(r"[\w']+", clause)))
        if said and said not in _ASIDE:
            kind = next((k for k, asks in _KINDS.items() if said in asks), None)
            kind = kind or (LANGUAGE if _IN_LANGUAGE.fullmatch(said) else None)
            kinds.update((kind,) if kind else ())
            other = other or kind is None
    return Asked(frozenset(kinds), bool(kinds) and not other)
