"""Entity extraction: dates and times, durations, money, organisations, tools and roles.

Dates, durations and money are regular patterns (below); organisations, tools and roles come
from the curated lists in ``entities.json`` (looked up by word n-grams), plus organisations named
by 1-3 capitalised words after "work at", "join", "offer from" and similar cues (a person's full
name there reads as one too, "an interview with Tom Baker": a known limit). Overlapping
candidates resolve to the earliest, then the longest span ("Google Sheets" is one tool, "next
Friday" one date). Entities keep the casing the user typed, are de-duplicated
case-insensitively and come in order of appearance.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import islice
from pathlib import Path
from typing import NamedTuple

from common.analysis.types import Entity
from common.labels import ENTITY_TYPES

DATA_PATH = Path(__file__).with_name("entities.json")

# When two candidates share start and length, the earlier type in this order wins.
PRIORITY = ("money", "duration", "date_time", "tool", "organization", "role")
_PRIORITY = {t: i for i, t in enumerate(PRIORITY)}
if set(PRIORITY) != set(ENTITY_TYPES):  # pragma: no cover - guards a change of the label set
    raise RuntimeError("entity priority does not cover common.labels.ENTITY_TYPES")
_CURATED_TYPES = ("organization", "tool", "role")
_MAX_NAME_WORDS = 4

# Pattern text only: everything is compiled on first use (see _regexes).
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH_FULL = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
)
_MONTH_ABBR = r"(?:jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
_MONTH = rf"(?:{_MONTH_FULL}|{_MONTH_ABBR})"
_PART_OF_DAY = r"(?:\s+(?:morning|afternoon|evening|night))?"
_DAY_NUMBER = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?:19|20)\d{2}\b)?"
_AM_PM = r"[ap]\.?m\.?"
_NUMBER_WORD = (
    r"(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty"
    r"|thirty|forty|fifty|sixty|ninety|a\s+few|few|a\s+couple(?:\s+of)?|couple(?:\s+of)?"
    r"|several|many)"
)
_UNIT = (
    r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?|years?|yrs?"
    r"|decades?|semesters?|sprints?)"
)
_ADJ = r"(?:(?:more|whole|full|straight|extra|long|short)\s+)?"
_AMOUNT = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_SCALE = r"(?:k|mm|m|bn|million|thousand|grand|billion)"
_RATE = r"(?:\s*(?:/|per|an?)\s*(?:year|yr|month|mo|hour|hr|week|wk|day|annum)\b)?"
_CURRENCY_CODE = r"(?:usd|eur|gbp|chf|cad|aud|inr)"
_CURRENCY_WORD = (
    r"(?:dollars?|bucks|grand|euros?|eur|usd|pounds?|gbp|quid|yen|rupees?|inr|francs?|chf)"
)

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_UNITS = (
    ("second", "seconds", "sec", "secs", "minute", "minutes", "min", "mins", "hour", "hours")
    + ("hr", "hrs", "day", "days", "week", "weeks", "wk", "wks", "month", "months", "year")
    + ("years", "yr", "yrs", "decade", "decades", "semester", "semesters", "sprint", "sprints")
)

# (type, pattern, ignore case, trigger words); a pattern with a group "v" yields that group's
# span. A word pattern only runs when the message contains one of its trigger words.
_WORD_PATTERNS: tuple[tuple[str, str, bool, tuple[str, ...]], ...] = (
    # Bare month names only when capitalised, and never "May" (the verb).
    (
        "date_time",
        r"\b(?:January|February|March|April|June|July|August|September|October|November"
        r"|December)\b",
        False,
        ("january", "february", "march", "april", "june", "july", "august", "september")
        + ("october", "november", "december"),
    ),
    (
        "date_time",
        rf"\b(?:next|last|this|coming)\s+(?:week(?:end)?|month|year|quarter|semester|sprint"
        rf"|{_WEEKDAY}|{_MONTH_FULL}){_PART_OF_DAY}\b",
        True,
        ("next", "last", "this", "coming"),
    ),
    (
        "date_time",
        rf"\b(?:(?:the\s+)?day\s+after\s+tomorrow|today|tonight|tomorrow|yesterday|tmrw|tmr)"
        rf"{_PART_OF_DAY}\b",
        True,
        ("today", "tonight", "tomorrow", "yesterday", "tmrw", "tmr"),
    ),
    (
        "date_time",
        r"\b(?:this|last)\s+(?:morning|afternoon|evening|night)\b",
        True,
        ("morning", "afternoon", "evening", "night"),
    ),
    (
        "date_time",
        rf"\b{_WEEKDAY}s?{_PART_OF_DAY}\b",
        True,
        _WEEKDAYS + tuple(f"{d}s" for d in _WEEKDAYS),
    ),
    (
        "date_time",
        r"\bend\s+of\s+(?:the\s+|this\s+|next\s+)?(?:day|week|month|year|quarter|semester"
        r"|sprint)\b",
        True,
        ("end",),
    ),
    (
        "date_time",
        r"\b(?:eod|eow|eom|eoy|noon|midnight|midday)\b",
        True,
        ("eod", "eow", "eom", "eoy", "noon", "midnight", "midday"),
    ),
    ("duration", rf"\b{_NUMBER_WORD}[\s-]+{_ADJ}{_UNIT}\b", True, _UNITS),
    ("duration", r"\bhalf\s+(?:an?\s+)?(?:hour|day|week|month|year)\b", True, ("half",)),
)
_DIGIT_PATTERNS: tuple[tuple[str, str, bool], ...] = (
    ("date_time", r"\b\d{4}-\d{2}-\d{2}(?:[t\s]\d{1,2}:\d{2})?\b", True),
    ("date_time", r"\b\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})\b", False),
    ("date_time", rf"\b{_MONTH}\s+{_DAY_NUMBER}\b{_YEAR}", True),
    ("date_time", rf"\b{_DAY_NUMBER}\s+(?:of\s+)?{_MONTH}(?![a-z]){_YEAR}", True),
    ("date_time", rf"\b\d{{1,2}}:\d{{2}}(?:\s?{_AM_PM})?(?!\w)", True),
    ("date_time", rf"\b\d{{1,2}}\s?{_AM_PM}(?!\w)", True),
    ("date_time", r"\b(?:in|by|since|until|till|before|after|from)\s+(?P<v>(?:19|20)\d\d)\b", True),
    ("date_time", r"\bQ[1-4](?:\s+(?:19|20)\d{2})?\b", False),
    ("duration", rf"\b\d+(?:\.\d+)?(?:\s*-\s*|\s*){_ADJ}{_UNIT}\b", True),
    ("money", rf"[$€£¥₹]\s?{_AMOUNT}(?:\s?{_SCALE}(?![a-z]))?{_RATE}", True),
    ("money", rf"\b{_CURRENCY_CODE}\s?{_AMOUNT}(?:\s?{_SCALE}(?![a-z]))?{_RATE}", True),
    ("money", rf"\b{_AMOUNT}(?:\s?{_SCALE})?\s?(?:{_CURRENCY_WORD}\b|[$€£¥₹]){_RATE}", True),
)
# 80k or 80,000 without a currency: money only next to a money word (see entities.json).
_BARE_AMOUNT = rf"\b(?:\d+(?:\.\d+)?\s?k|\d{{1,3}}(?:,\d{{3}})+)(?!\w)(?P<rate>{_RATE})"
# "a day" right after "2 hours" is a rate, not a duration.
_RATE_BEFORE = rf"(?:{_UNIT}|times|once|twice|\d+k?)\s+$"
# "a second interview", "a day job", "a sprint review": after "a"/"an" the unit is an ordinal or
# part of a compound noun, not a span of time ("wait a second", "it took a day" still are).
_NOUN_AFTER = (
    r"[\s-]+(?:interview|round|job|review|retro|planning|pair|opinion|chance|look|offer|time"
    r"|thought|try|attempt|language|degree|career|date|call|meeting|trip|shift|one)s?\b"
)
# A word as the curated lists see it: C++, C#, Node.js, co-worker, Google's.
_WORD_RE = r"[^\W_](?:[\w+#.&'-]*[\w+#])?"
_ONE_DAY_OK = frozenset(
    {"for", "in", "within", "just", "only", "about", "over", "take", "takes", "took", "spend"}
    | {"spent", "every", "per", "than", "lasted"}
)


@dataclass(frozen=True)
class _Regexes:
    word_patterns: tuple[tuple[str, re.Pattern[str], frozenset[str]], ...]
    digit_patterns: tuple[tuple[str, re.Pattern[str]], ...]
    bare_amount: re.Pattern[str]
    rate_before: re.Pattern[str]
    noun_after: re.Pattern[str]
    token: re.Pattern[str]
    letters: re.Pattern[str]


@cache
def _regexes() -> _Regexes:
    """Compiled on first use, not at import."""
    return _Regexes(
        word_patterns=tuple(
            (t, re.compile(p, re.IGNORECASE if ci else 0), frozenset(triggers))
            for t, p, ci, triggers in _WORD_PATTERNS
        ),
        digit_patterns=tuple(
            (t, re.compile(p, re.IGNORECASE if ci else 0)) for t, p, ci in _DIGIT_PATTERNS
        ),
        bare_amount=re.compile(_BARE_AMOUNT, re.IGNORECASE),
        rate_before=re.compile(_RATE_BEFORE, re.IGNORECASE),
        noun_after=re.compile(_NOUN_AFTER, re.IGNORECASE),
        token=re.compile(_WORD_RE),
        letters=re.compile(r"[^\W\d_]+"),
    )


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    type: str

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.start, self.start - self.end, _PRIORITY[self.type])


class _Token(NamedTuple):
    start: int
    end: int  # before a possessive "'s"
    text: str
    key: str  # casefolded


@dataclass(frozen=True)
class _Entry:
    """A curated name with optional context rules (see entities.json ``_about``)."""

    type: str
    forms: frozenset[str]  # exact spellings when case-sensitive, else empty
    before: frozenset[str]
    after: frozenset[str]
    not_after: frozenset[str]

    def accepts(self, found: str, previous: str, following: str) -> bool:
        if self.forms and found not in self.forms:
            return False
        if following in self.not_after:
            return False
        if not (self.before or self.after):
            return True
        return previous in self.before or following in self.after


@dataclass(frozen=True)
class _Data:
    names: Mapping[str, tuple[_Entry, ...]]  # casefolded, space-joined words -> entries
    name_prefixes: frozenset[str]  # every key's leading words ("google" for "google sheets")
    org_cue_words: frozenset[str]  # first words of the cues
    org_cues: frozenset[str]  # casefolded, space-joined words
    org_stopwords: frozenset[str]
    one_word_person_cues: frozenset[str]  # cues after which one word alone is no organisation
    money_before: frozenset[str]
    money_after: frozenset[str]
    not_before_pounds: frozenset[str]


def _tokens(text: str) -> list[_Token]:
    out = []
    for m in _regexes().token.finditer(text):
        word = m.group()
        if word.endswith(("'s", "’s")) and len(word) > 2:
            word = word[:-2]
        out.append(_Token(m.start(), m.start() + len(word), word, word.casefold()))
    return out


def _name_key(name: str) -> str:
    return " ".join(t.key for t in _tokens(name))


def _lowered(values: Iterable[object]) -> frozenset[str]:
    return frozenset(str(v).casefold() for v in values)


@cache
def _load(path: Path = DATA_PATH) -> _Data:
    """Read and index the curated lists once, on first use."""
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    names: dict[str, list[_Entry]] = {}
    for type_ in _CURATED_TYPES:
        plural = type_ == "role"
        for item in raw[type_]:
            spec = {"name": item} if isinstance(item, str) else item
            name = " ".join(spec["name"].split())
            spellings = [name] + ([name + "s", name + "es"] if plural else [])
            forms = (
                frozenset(s for n in spellings for s in (n, n.upper()))
                if spec.get("case_sensitive")
                else frozenset()
            )
            entry = _Entry(
                type=type_,
                forms=forms,
                before=_lowered(spec.get("before", ())),
                after=_lowered(spec.get("after", ())),
                not_after=_lowered(spec.get("not_after", ())),
            )
            for spelling in spellings:
                names.setdefault(_name_key(spelling), []).append(entry)
    orgs = raw["organization_patterns"]
    money = raw["money_context"]
    prefixes = {" ".join(k.split()[:n]) for k in names for n in range(1, len(k.split()))}
    org_cues = frozenset(_name_key(c) for c in orgs["cues"])
    return _Data(
        names={k: tuple(v) for k, v in names.items()},
        name_prefixes=frozenset(prefixes),
        org_cue_words=frozenset(c.split()[0] for c in org_cues),
        org_cues=org_cues,
        org_stopwords=_lowered(orgs["stopwords"]),
        one_word_person_cues=frozenset(_name_key(c) for c in orgs["one_word_person_cues"]),
        money_before=_lowered(money["before"]),
        money_after=_lowered(money["after"]),
        not_before_pounds=_lowered(money["not_before_pounds"]),
    )


def _spans(regex: re.Pattern[str], text: str) -> Iterator[tuple[int, int]]:
    group = "v" if "v" in regex.groupindex else 0
    for m in regex.finditer(text):
        yield m.span(group)


def _count_before(tokens: list[_Token], offset: int) -> int:
    """How many tokens end at or before a character offset."""
    return sum(1 for t in tokens if t.end <= offset)


def _word_before(tokens: list[_Token], start: int) -> str:
    """The casefolded word just before a character offset."""
    count = _count_before(tokens, start)
    return tokens[count - 1].key if count else ""


def _money_after(tokens: list[_Token], end: int, data: _Data) -> bool:
    """A money word after a character offset: the next word, or one of the two after "in" or
    "of" ("20k in student debt", "50k of savings")."""
    after = list(islice((t.key for t in tokens if t.start >= end), 3))
    if not after:
        return False
    return after[0] in data.money_after or (
        after[0] in ("in", "of") and not data.money_after.isdisjoint(after[1:])
    )


def _patterns(text: str, tokens: list[_Token], data: _Data) -> Iterator[_Candidate]:
    rx = _regexes()
    words = set(rx.letters.findall(text.lower()))
    patterns = [(t, regex) for t, regex, triggers in rx.word_patterns if words & triggers]
    digits = any(ch.isdigit() for ch in text)
    if digits:
        patterns += rx.digit_patterns
    for type_, regex in patterns:
        for start, end in _spans(regex, text):
            found = text[start:end].lower()
            if type_ == "duration":
                article = found.startswith(("a ", "an "))
                if article and rx.rate_before.search(text, 0, start):
                    continue
                if article and rx.noun_after.match(text, end):
                    continue
                one_day = found.startswith("one") and found.endswith("day")
                if one_day and _word_before(tokens, start) not in _ONE_DAY_OK:
                    continue  # "one day I'll..." means some day
            pounds = type_ == "money" and "pound" in found
            if pounds and _word_before(tokens, start) in data.not_before_pounds:
                continue  # lost 10 pounds
            yield _Candidate(start, end, type_)
    if not digits:
        return
    for m in rx.bare_amount.finditer(text):
        previous = {t.key for t in tokens[: _count_before(tokens, m.start())][-2:]}
        if m.group("rate") or previous & data.money_before or _money_after(tokens, m.end(), data):
            yield _Candidate(m.start(), m.end(), "money")


def _adjacent(text: str, left: _Token, right: _Token) -> bool:
    """Two tokens separated by whitespace only (so a name never spans punctuation)."""
    gap = text[left.end : right.start]
    return bool(gap) and gap.isspace()


def _curated(text: str, tokens: list[_Token], data: _Data) -> Iterator[_Candidate]:
    for i, first in enumerate(tokens):
        key = first.key
        for j in range(i, min(len(tokens), i + _MAX_NAME_WORDS)):
            if j > i:
                if key not in data.name_prefixes or not _adjacent(text, tokens[j - 1], tokens[j]):
                    break
                key = f"{key} {tokens[j].key}"
            entries = data.names.get(key)
            if not entries:
                continue
            found = " ".join(t.text for t in tokens[i : j + 1])
            previous = tokens[i - 1].key if i else ""
            following = tokens[j + 1].key if j + 1 < len(tokens) else ""
            for entry in entries:
                if entry.accepts(found, previous, following):
                    yield _Candidate(first.start, tokens[j].end, entry.type)
                    break


def _named_organisations(text: str, tokens: list[_Token], data: _Data) -> Iterator[_Candidate]:
    """1-3 capitalised words after a cue such as "work at", "join" or "offer from"."""
    for i, token in enumerate(tokens):
        if token.key not in data.org_cue_words:
            continue
        for width in (1, 2):
            cue = tokens[i : i + width]
            cue_key = " ".join(t.key for t in cue)
            if len(cue) < width or cue_key not in data.org_cues:
                continue
            if width == 2 and not _adjacent(text, cue[0], cue[1]):
                continue
            k = i + width
            if k < len(tokens) and tokens[k].key == "the" and _adjacent(text, cue[-1], tokens[k]):
                k += 1
            words: list[_Token] = []
            previous = tokens[k - 1]
            while k < len(tokens) and len(words) < 3:
                word = tokens[k]
                if not (
                    _adjacent(text, previous, word)
                    and word.text[0].isupper()
                    and len(word.text) >= 2
                    and word.key not in data.org_stopwords
                ):
                    break
                words.append(word)
                previous = word
                k += 1
            # "an offer from Mike": one word after such a cue is more often a person
            if len(words) >= (2 if cue_key in data.one_word_person_cues else 1):
                yield _Candidate(words[0].start, words[-1].end, "organization")


def _resolve(candidates: Iterable[_Candidate]) -> list[_Candidate]:
    """Earliest, then longest, then highest-priority candidate wins; overlaps are dropped."""
    chosen: list[_Candidate] = []
    reach = 0
    for c in sorted(candidates, key=lambda c: c.key):
        if c.start >= reach and c.end > c.start:
            chosen.append(c)
            reach = c.end
    return chosen


# The reply reads the window's messages again on every turn of a session (their tools), and
# the analysis the message: the entities of the few hundred texts read last are kept.
@lru_cache(maxsize=256)
def extract_entities(text: str) -> tuple[Entity, ...]:
    """Entities in order of appearance, as typed, without case-insensitive repeats."""
    data = _load()
    tokens = _tokens(text)
    candidates = [
        *_patterns(text, tokens, data),
        *_curated(text, tokens, data),
        *_named_organisations(text, tokens, data),
    ]
    seen: set[str] = set()
    entities: list[Entity] = []
    for c in _resolve(candidates):
        found = text[c.start : c.end]
        key = " ".join(found.casefold().split())
        if key not in seen:
            seen.add(key)
            entities.append(Entity(text=found, type=c.type))
    return tuple(entities)


def is_money(text: str) -> bool:
    """An entity's text names an amount of money: one read as money on its own ("$52k", "1200
    euros"), or a bare amount ("43k", "80,000") that only a money word beside it made one."""
    bare = _regexes().bare_amount.fullmatch(text.strip()) is not None
    return bare or any(entity.type == "money" for entity in extract_entities(text))
