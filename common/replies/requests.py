"""A user's requests about how to be answered, read from their message (English, pure): "just
listen", "stop", "shorter please", "stop asking how I feel", "in German please", "forget what I
said about Dave" (that one in German, French, Spanish and Portuguese too), "answer literally",
"one step at a time", "put it in a bulleted list". Read clause by clause, each clause whole, so
that "I can't stop procrastinating", "how do I stop a docker container" or "my exam in German"
asks for nothing. Some hold for the rest of the session, until the user says otherwise
(kept_requests)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from common.text import canonical_text

LISTEN = "listen"
STOP = "stop"
SHORTER = "shorter"
NO_QUESTIONS = "no_questions"
LANGUAGE = "language"  # another language than the message's (English)
FORGET = "forget"  # forget, or do not bring up, something they said (asks_to_forget)
LITERAL = "literal"  # plain, literal words: no idioms or metaphors
ONE_STEP = "one_step"  # one step at a time
LIST = "list"  # steps or items one per line, as a bulleted list
NORMAL = "normal"  # back to the usual way of answering: every kept request ends

_LISTEN = frozenset(
    {"listen", "listen to me", "i need you to listen", "i just need you to listen"}
    | {"no advice", "no steps", "no solutions", "no more advice", "no more steps"}
    | {"i don't want advice", "i don't need advice", "i don't want any advice"}
    | {"i don't want solutions", "don't fix it", "don't try to fix it", "stop giving advice"}
    | {"stop giving me advice", "i want to vent", "i just want to vent", "i need to vent"}
    | {"let me vent"}
    # Only saying it (the loneliness review: "I'm lonely but I'm fine, just wanted to say it"
    # got a step); as _AROUND leaves them, without a leading "just"
    | {
        f"{i}{verb} {what}"
        for i in ("", "i ", "i just ")
        for verb in ("wanted to", "needed to")
        for what in ("say it", "say that", "tell someone", "tell somebody", "tell you")
    }
    | {"saying", "i'm just saying", "im just saying"}
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
# The neurodivergent-users review: "Please answer literally, with no idioms or metaphors, and
# give me one step at a time" and "put the steps ... in a bulleted list" had no kind.
_PLAINLY = ("answer", "reply", "respond", "speak", "talk", "write", "explain it", "say it")
_FIGURES = ("idioms", "metaphors", "figures of speech", "sayings", "idioms or metaphors")
_LITERAL = frozenset(
    {f"{verb} {how}" for verb in _PLAINLY for how in ("literally", "plainly", "in plain english")}
    | {f"{verb} me literally" for verb in ("answer", "reply to", "take")}
    | {f"{no} {figures}" for no in ("no", "with no", "without", "no more") for figures in _FIGURES}
    | {"be literal", "literal answers", "literal please", "plain language"}
    | {"in plain language", "use plain language", "plain english", "in plain english"}
    | {"no metaphors or idioms", "with no metaphors or idioms", "without metaphors or idioms"}
)
_ONE_STEP = frozenset(
    {
        f"{give}{what}"
        for give in ("", "give me ", "tell me ", "just ", "only ")
        for what in (
            "one step",
            "one step at a time",
            "one thing at a time",
            "one instruction at a time",
            "the first step",
            "the first step only",
            "one step only",
        )
    }
    | {"one at a time", "step by step one at a time", "one step please", "only one step please"}
)
_LIST = frozenset(
    {
        f"{how} {form}"
        for how in ("in", "as", "use", "with", "make it", "put it in", "put them in")
        for form in (
            "a list",
            "a bulleted list",
            "a bullet list",
            "bullet points",
            "bullets",
            "a bullet point list",
        )
    }
    | {"bullet points", "bulleted list", "a bulleted list", "bullets please", "list please"}
    | {"one per line", "one item per line", "one step per line", "each step on its own line"}
)
# A clause that asks for its content as a list: "put the steps for renewing my prescription in a
# bulleted list", "can you list them as bullet points". It says more than how to answer.
_AS_LIST = re.compile(
    r"^(?:(?:can|could|would|will)\s+you\s+)?(?:put|give|write|list|show|send|lay\s+out|format"
    r"|make|break)\b.*\b(?:in(?:to)?|as)\s+(?:a\s+)?(?:bullet(?:ed)?\s+(?:list|points?)|bullets"
    r"|list)$"
)
_KINDS = {
    LISTEN: _LISTEN,
    STOP: _STOP,
    SHORTER: _SHORTER,
    NO_QUESTIONS: _NO_QUESTIONS,
    LITERAL: _LITERAL,
    ONE_STEP: _ONE_STEP,
    LIST: _LIST,
}
# The requests that hold for the rest of the session (common.sessions.state keeps them), until
# the user takes one back (_UNDO) or asks for the usual way again (NORMAL).
KEPT = (SHORTER, NO_QUESTIONS, LITERAL, ONE_STEP, LIST)
_UNDO = {
    NO_QUESTIONS: frozenset(
        {
            f"{you} ask {me}questions again"
            for you in ("you can", "feel free to", "go ahead and")
            for me in ("", "me ")
        }
        | {"questions are fine", "questions are ok", "questions are okay", "ask away"}
    ),
    LITERAL: frozenset({"idioms are fine", "metaphors are fine", "you can use idioms"}),
    ONE_STEP: frozenset({"all the steps", "give me all the steps", "more than one step is fine"}),
    LIST: frozenset({"no lists", "no more lists", "no bullet points", "no more bullet points"}),
    SHORTER: frozenset({"longer", "longer answers", "more detail", "more details"}),
}
_NORMAL = frozenset(
    {f"{verb} normally" for verb in ("answer", "reply", "respond", "talk", "write")}
    | {"back to normal", "go back to normal", "normal answers", "normal replies", "as usual"}
    | {"like before", "answer like before", "the usual way"}
)
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

# A request not to keep or bring up what they said: "please forget what I said about Dave",
# "don't bring up Marcus or the breakup again". In English only as asked (at a clause's start,
# or after "please", "can you"...): "I forget about deadlines" asks nothing, nor do "forget it"
# and "don't mention it". Not bringing up needs its object to be theirs or named ("my divorce",
# "Marcus", "that", "... again"): "never mention salary in an interview" is advice.
_FORGET = re.compile(
    r"(?:^|\b(?:please|pls|plz|(?:can|could|would|will)\s+you|ok|okay|also"
    r"|(?:want|need|like)\s+you\s+to)\s+)"
    r"(?:forget\s+(?:what|that|everything|i\s+(?:said|told|mentioned)|about\s+(?!it\b))"
    r"|(?:don't|dont|do\s+not|never)\s+(?:remember|keep|store|save)\s+(?:that|this|it|what)\b"
    r"|(?P<bring>(?:don't|dont|do\s+not|never|stop)\s+(?:bring(?:ing)?\s+(?:\S+\s+){0,4}?up\b"
    r"|mention(?:ing)?\b(?!\s+it\s*$)|talk(?:ing)?\s+about\b)))"
    # German, French, Spanish, Portuguese
    r"|\bvergiss(?:\s+bitte)?\s+(?:was|das|alles|dass)\b"
    r"|\b(?:erwähne|sprich)\s+(?:\S+\s+){0,4}?nicht\s+mehr\b"
    r"|\boubli(?:e|ez)\s+(?:ce\s+qu|tout\s+ce|que\s+j)"
    r"|\bn(?:e\s+(?:\S+\s+)?|'en\s+)(?:re)?(?:parle|mentionne)z?\s+plus\b"
    r"|\bolv[ií]d(?:a|ate|e)\s+(?:de\s+)?(?:lo\s+que|eso|todo\s+lo)"
    r"|\bno\s+(?:vuelvas\s+a\s+)?(?:menciones|mencionar|saques|hables\s+(?:m[aá]s\s+)?de)\b"
    r"|\besque[cç][ae]\s+(?:o\s+que|isso|tudo\s+o\s+que)"
    r"|\bn[aã]o\s+(?:\S+\s+)?(?:mencione|fale\s+mais|toque\s+mais)\b",
    re.IGNORECASE,
)
# Theirs or named: "my divorce", "that", "what I said", "Marcus" (capitalised), "... again".
_THEIRS = re.compile(
    r"\b(?i:my|our|that|this|it|what|again|anymore|any\s+more|about)\b|(?<!^)\b(?!I\b)[A-Z]"
)
# Someone else's rule, reported: "my manager told me: never mention the layoffs".
_REPORTED = re.compile(
    r"\b(?:told|tells?)\s+(?:me|us)\b|\bsays\b|(?<!\bi\s)\bsaid\b|\bthe\s+rules?\s+(?:is|are)\b",
    re.IGNORECASE,
)
# Said to someone else: "bring this up with HR", "mention the layoffs to clients".
_TO_SOMEONE = re.compile(r"\b(?:with|to)\s+(?!me\b|you\b)\w", re.IGNORECASE)
# A question asks advice ("never talk about salary, right?"), unless it is asked as a request
# ("can you forget...?") or ends on one ("forget about my ex, ok?").
_AS_REQUEST = re.compile(
    r"^(?:\W*(?:ok|okay|so|please)\W+)*(?:can|could|would|will)\s+you\b"
    r"|(?:^|\W)(?:ok|okay|alright|please|pls)\W*$",
    re.IGNORECASE,
)
# A comma that ends no clause: "Vergiss bitte, was ich gesagt habe".
_NO_CLAUSE_END = re.compile(r"\b(vergiss(?:\s+bitte)?)\s*,", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?\n]+|$)")
# A turn reads its window's messages again and again (the summary, the reply's recall, the
# standing requests: some 40 reads of 6 messages a turn), and the next turns of the session
# read them again: what a message asks is kept for the few hundred read last (a 4,000-character
# message is at most 16 kB).
_READ_LAST = 256


@functools.lru_cache(maxsize=_READ_LAST)
def asks_to_forget(message: str) -> bool:
    """The message asks to forget, or not to bring up, something they said (_FORGET), in a
    clause of its own: not asked as a question, not reported, not said to someone else."""
    before = ""  # the clause before, in this message
    for sentence in _SENTENCE.findall(_NO_CLAUSE_END.sub(r"\1", canonical_text(message))):
        question = sentence.rstrip().endswith("?") and not _AS_REQUEST.search(sentence)
        for clause in (c.strip() for c in _CLAUSE.split(sentence)):
            found = _FORGET.search(clause)
            if (
                found
                and not question
                and not _REPORTED.search(f"{before} {clause[: found.start()]}")
            ):
                rest = clause[found.end() :]
                bring = found["bring"]
                if bring is None or (_THEIRS.search(bring + rest) and not _TO_SOMEONE.search(rest)):
                    return True
            before = clause or before
    return False


@dataclass(frozen=True)
class Asked:
    """What a message asks of the way it is answered."""

    kinds: frozenset[str] = frozenset()
    only: bool = False  # the message says nothing else: it is all requests
    undone: frozenset[str] = frozenset()  # kept requests it takes back (NORMAL: every one)

    def __contains__(self, kind: str) -> bool:
        return kind in self.kinds


@functools.lru_cache(maxsize=_READ_LAST)
def asked(message: str) -> Asked:
    """The requests about how to answer among the message's clauses."""
    kinds: set[str] = set()
    undone: set[str] = set()
    other = False
    text = canonical_text(message).lower().replace("tl;dr", "tldr")  # one word, not 2 clauses
    for clause in _CLAUSE.split(text):
        said = _AROUND.sub("", " ".join(re.findall(r"[\w']+", clause)))
        if said and said not in _ASIDE:
            kind = next((k for k, asks in _KINDS.items() if said in asks), None)
            kind = kind or (LANGUAGE if _IN_LANGUAGE.fullmatch(said) else None)
            back = {k for k, says in _UNDO.items() if said in says}
            back |= set(KEPT) if said in _NORMAL else set()
            kinds.update((kind,) if kind else ())
            undone |= back
            if kind is None and not back and _AS_LIST.match(said):
                kinds.add(LIST)  # a request, and more: what to list
                other = True
                continue
            other = other or (kind is None and not back)
    kinds.update((FORGET,) if asks_to_forget(message) else ())  # its clauses count as other
    return Asked(frozenset(kinds), bool(kinds | undone) and not other, frozenset(undone))


def kept_requests(before: Iterable[str], message: str) -> tuple[str, ...]:
    """The requests about how to answer that hold after `message` (KEPT's, in its order):
    those held `before`, less those it takes back, plus those it asks for."""
    said = asked(message)
    held = (set(before) - said.undone) | (said.kinds & set(KEPT))
    return tuple(kind for kind in KEPT if kind in held)
