"""Conservative crisis detector: high-precision patterns, OR-ed on every turn with the persona
model's crisis head (common.analysis.with_model); the whole check when there is no model answer.

Phrases live in ``safety_phrases.json`` (see its ``_about``). The detector errs on the side of
safety: anything explicitly about wanting to die, suicide or self-harm is flagged even when it may
be hyperbole ("this bug makes me want to die lol"), because a false alarm only shows helplines
while a miss can cost a life. Everyday idioms that state no such wish ("this deadline is killing
me", "kill the process", "I'm dying to know", "dead tired") are not flagged.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Set
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from common.analysis import recovery
from common.analysis.types import Safety
from common.dictation import as_typed
from common.languages import language_among
from common.text import APOSTROPHES, canonical_text

if TYPE_CHECKING:
    from common.logs import Throttle

PHRASES_PATH = Path(__file__).with_name("safety_phrases.json")
SPELLING_WORDS_PATH = Path(__file__).parents[1] / "data" / "spelling_words.json"

log = logging.getLogger(__name__)

# Every spelling of a message is scanned as written (18 at most, _OTHER_SPELLINGS of three
# bases, the first one _respelled, the first one dictated and that one respelled); their letter
# runs squeezed ("dieee" as die and diee: two more strings each) only in this many characters,
# in spelling order. A crafted 4,000-character message asked for 45 strings (every respelling
# at once, each squeezed: ~0.35 s of CPU on the dev machine); now 22 at most. The message as
# written always has its squeezes; no corpus record comes near the bound (990 characters
# scanned at most, all strings together).
SQUEEZE_BUDGET_CHARS = 16_000


@cache
def _scan_cut() -> Throttle:
    """A script can send such messages at will: one line per minute per instance, with the count.
    Made when first needed: the retraining image (.venv-model) imports this module through
    common.personalization and has no JSON logging (common.logs)."""
    from common import logs

    return logs.Throttle(logs.REFUSAL_LOG_SECONDS)


# Apostrophes and the marks phones and keyboards type for them (ʼ ′ ‛ ʹ).
_DROP_APOSTROPHES = str.maketrans("", "", "'" + APOSTROPHES)
# A possessive after an s ("my boss's idea") read as the plural, as "manager's" reads
# "managers": with the apostrophe dropped alone, "bosss" squeezed to "boss", and "I want to kill
# my boss's idea" or "hit my boss's sales target" read as harm to the boss.
_POSSESSIVE_AFTER_S = re.compile(r"(?<=s)'s\b")
_EXCLUDED = ","  # what each word of an idiom is replaced with: a word no pattern looks for
_WANNA = re.compile(r"\bwann?a(?:\s+t[o0])?\b")  # "wanna to die", "wana t0 die": meant
# Letters written as digits or "!" ("k1ll", "su1cide", "k!ll"): a digit next to a letter, "!"
# only between two letters (not "die!").
_LEET = re.compile(r"(?<=[^\W\d_])[130457]|[130457](?=[^\W\d_])|(?<=[^\W\d_])!(?=[^\W\d_])")
_LEET_LETTERS = str.maketrans("1!30457", "iieoast")
# "$" and "@" for letters ("my$elf", "w@nt"), read before the other symbols become spaces.
_SYMBOL_LETTERS = re.compile(r"(?<=[^\W\d_])[$@]|[$@](?=[^\W\d_])")
_AS_LETTERS = str.maketrans("$@", "sa")
# Three or more single letters spaced out ("s u i c i d e", "k.m.s").
_SPACED = re.compile(r"(?<![^\s.])(?:[^\W\d_][\s.]){2,}[^\W\d_](?![^\s.!?])")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")
# Words only paused over or stressed ("i want to... die", "i want to fucking die", "kill my
# fucking self"): another spelling reads the pause as a space and leaves the stress out.
_PAUSE = re.compile(r"(?<=\w)\s*\.{2,}\s*(?=\w)")
_STRESS = re.compile(r"\b(?:really|actually|literally|fucking|freaking|seriously|truly)\s+(?=\w)")
_FILLERS = re.compile(f"{_PAUSE.pattern}|{_STRESS.pattern}")


# A word boundary after a first letter: \bk... and k(?<!\w\w)... match the same (see _letter_first).
_BOUNDARY_AFTER = r"(?<!\w\w)"


def _structure(regex: str) -> list[tuple[int, str, int]]:
    """The positions of `regex`'s own ( ) | (not escaped, not in a [set]), with each one's depth
    (a "(" at the depth outside it, a ")" at the depth inside)."""
    found, depth, i = [], 0, 0
    while i < len(regex):
        ch = regex[i]
        if ch == "\\":
            i += 1
        elif ch == "[":  # to the set's end: a ] first (after an optional ^) is one of the set
            i += 2 if regex[i + 1] == "^" else 1
            i += 2 if regex[i] == "\\" else 1
            while regex[i] != "]":
                i += 2 if regex[i] == "\\" else 1
        elif ch in "()|":
            depth -= ch == ")"
            found.append((i, ch, depth))
            depth += ch == "("
        i += 1
    return found


def _alternatives(regex: str) -> list[str]:
    cuts = [i for i, ch, depth in _structure(regex) if ch == "|" and depth == 0]
    return [regex[a + 1 : b] for a, b in zip([-1, *cuts], [*cuts, len(regex)], strict=True)]


def _starts_with_letter(branch: str) -> bool:
    """A plain ASCII letter, matched once (not "a?", "a*", "a{2}")."""
    return branch[:1].isascii() and branch[:1].isalpha() and branch[1:2] not in ("?", "*", "+", "{")


def _letter_first_alternative(alternative: str) -> str | None:
    r"""\bkms... as k(?<!\w\w)ms..., \b(?:kill|die)... as (?:k(?<!\w\w)ill|d(?<!\w\w)ie)...;
    None for any other alternative."""
    if not alternative.startswith(r"\b"):
        return None
    rest = alternative[2:]
    if _starts_with_letter(rest):
        return rest[0] + _BOUNDARY_AFTER + rest[1:]
    if not rest.startswith("(?:"):
        return None
    end = next(i for i, ch, depth in _structure(rest) if ch == ")" and depth == 0)
    branches, after = _alternatives(rest[3:end]), rest[end + 1 :]
    if after[:1] in ("?", "*", "+", "{") or not all(map(_starts_with_letter, branches)):
        return None
    return "(?:" + "|".join(b[0] + _BOUNDARY_AFTER + b[1:] for b in branches) + ")" + after


def _letter_first(regex: str) -> str:
    r"""`regex` with its alternatives that start with \b and a plain letter (or a group whose
    every branch starts with one) written letter first, the boundary a look-behind after it:
    \bkms\b as k(?<!\w\w)ms\b. Both match the same spans: the letter is a word character,
    so the boundary before it holds exactly when the character before it is not one (or there
    is none), which is what (?<!\w\w) asks once it is read. Python's re tries a pattern that
    starts with \b at every position of the text (~25 ns a pattern a character: 100 of the
    112 do); one that starts with a letter, or a choice of letters, it skips ahead to them.

    Left as written unless re can then skip ahead: it finds the letters a pattern starts with
    in its first letter, its first group's branches, or its alternatives' first letters, not
    in alternatives that start with a group or still with \b. Such a pattern would be tried at
    every position all the same, now through every branch's letter and look-behind (#69,
    slit and stab: 2x slower on a 4,000-character ramble, 5x on a text with no spaces)."""
    written = [_letter_first_alternative(a) for a in _alternatives(regex)]
    letters = [w for w in written if w is not None]
    if len(letters) < len(written) or (
        len(letters) > 1 and any(w.startswith("(") for w in letters)
    ):
        return regex
    return "|".join(letters)


def _compile(regex: str) -> re.Pattern[str]:
    return re.compile(_letter_first(regex))


# The kinds of the patterns that read another person's crisis ("my friend wants to kill herself",
# "my girlfriend is suicidal"; "third_party_violence": someone else hurt, "my friend's dad hits
# her", whose list gets the lines for violence at home too): what they read, the patterns about
# the user do not read again (_scan), and a message they alone match gets the reply for a
# worried friend.
ABOUT_OTHERS = frozenset({"third_party", "third_party_violence"})
# The kind of the patterns that read a physical emergency now, the user's or someone's with them
# ("I think I'm having a heart attack", "my friend collapsed", "there's a fire in my building"):
# answered with the emergency number first (common.safety.emergency_reply), not with coaching.
EMERGENCY = "emergency"
# What a pattern may say besides its kind ("tags"): something already swallowed or taken
# (TAKEN: the poison line, the emergency line first), a place to get out of (LEAVE: fire, gas)
# or someone breaking in (HIDE); each chooses what the emergency reply says while they wait.
# Signs of postpartum psychosis (PSYCHOSIS) and a person with dementia gone missing (MISSING)
# have replies of their own (common.family_safety.family_emergency_reply).
TAKEN, LEAVE, HIDE, PSYCHOSIS, MISSING = "taken", "leave", "hide", "psychosis", "missing"
TAGS = frozenset({TAKEN, LEAVE, HIDE, PSYCHOSIS, MISSING})


@dataclass(frozen=True)
class _Pattern:
    kind: str
    weight: float
    source: str  # as the phrase data writes it, fragments filled in: matched_patterns' keys
    regex: re.Pattern[str]  # compiled _letter_first
    languages: frozenset[str]  # the languages whose words it reads ("suicide": en and fr)
    tags: frozenset[str] = frozenset()  # of TAGS


@dataclass(frozen=True)
class SafetyRules:
    """The compiled phrase data."""

    threshold: float
    exclusions: tuple[re.Pattern[str], ...]
    patterns: tuple[_Pattern, ...]
    resources: tuple[str, ...]
    symbols: re.Pattern[str]
    spaces: re.Pattern[str]
    long_runs: re.Pattern[str]
    # The people someone else's crisis is said of, by language ("en": ("friend", ...)), as
    # the data writes them (words, maybe with ? or a [set]).
    relations: dict[str, tuple[str, ...]]
    about_others: tuple[re.Pattern[str], ...]  # the regexes of the patterns of ABOUT_OTHERS


@cache
def load_rules(path: Path = PHRASES_PATH) -> SafetyRules:
    """Read and compile the phrase data once; raise ValueError when it is malformed."""
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    relations = {language: tuple(words) for language, words in raw["relations"].items()}
    fragments = {  # %relations_en%: the English ones as one group
        **raw.get("fragments", {}),
        **{
            f"relations_{language}": f"(?:{'|'.join(words)})"
            for language, words in relations.items()
        },
    }

    def expand(regex: str) -> str:
        for name, text in fragments.items():  # written once, used by name: %living%
            regex = regex.replace(f"%{name}%", text)
        return regex

    patterns = []
    for item in raw["patterns"]:
        weight = item["weight"]
        if not isinstance(weight, (int, float)) or not 0.0 <= weight <= 1.0:
            raise ValueError(f"safety: weight of {item['pattern']!r} is not in [0, 1]")
        source = expand(item["pattern"])
        named = item["language"]  # "en", or ["en", "fr"] for words both write alike
        languages = frozenset([named] if isinstance(named, str) else named)
        if not languages or not all(re.fullmatch("[a-z]{2}", str(lang)) for lang in languages):
            raise ValueError(f"safety: language of {item['pattern']!r} is not a language code")
        tags = frozenset(item.get("tags", ()))
        if not tags <= TAGS:
            raise ValueError(f"safety: tags of {item['pattern']!r} are not of {sorted(TAGS)}")
        compiled = _compile(source)
        patterns.append(_Pattern(item["kind"], float(weight), source, compiled, languages, tags))
    resources = tuple(raw["resources"])
    if not resources or not all(isinstance(r, str) and r.strip() for r in resources):
        raise ValueError("safety: resources must be non-empty strings")
    return SafetyRules(
        threshold=float(raw["threshold"]),
        exclusions=tuple(_compile(expand(e)) for e in raw["exclusions"]),
        patterns=tuple(patterns),
        resources=resources,
        symbols=re.compile(r"[^\w\s.!?]|_"),
        spaces=re.compile(r"\s+"),
        long_runs=re.compile(r"([^\W\d_])\1{2,}"),
        relations=relations,
        about_others=tuple(p.regex for p in patterns if p.kind in ABOUT_OTHERS),
    )


def _has_format_characters(text: str) -> bool:
    return not text.isascii() and any(unicodedata.category(ch) == "Cf" for ch in text)


def _lower(text: str, *, format_characters: str = "") -> str:
    """NFKC, format characters removed, lowercase. A zero-width space, joiner or soft hyphen
    inside a word ("sui\u200bcide") is invisible to a reader and dropped by the persona model's
    tokenizer, so it must not split the word here either (another spelling reads them as
    spaces); İ lowercases to i + a combining dot. Apostrophe look-alikes become ' first: NFKC
    alone turns ´ into a space and an accent ("don´t" -> "don t")."""
    text = unicodedata.normalize("NFKC", canonical_text(text))
    if not text.isascii():
        text = "".join(format_characters if unicodedata.category(ch) == "Cf" else ch for ch in text)
    return text.lower().replace("i\u0307", "i")


def _words(lowered: str) -> str:
    rules = load_rules()
    text = _POSSESSIVE_AFTER_S.sub("es", lowered).translate(_DROP_APOSTROPHES)
    return _WANNA.sub("want to", rules.spaces.sub(" ", rules.symbols.sub(" ", text)).strip())


def normalise(text: str) -> str:
    """NFKC without format characters, lowercase, apostrophes dropped, "wanna" read as "want
    to", and only words and . ! ? left, separated by single spaces."""
    return _words(_lower(text))


def _unaccented(text: str) -> str:
    """Latin letters without their accents ("mysélf" -> "myself"); other scripts as they are."""
    decomposed = unicodedata.normalize("NFD", text)
    kept = [
        ch
        for i, ch in enumerate(decomposed)
        if not (unicodedata.combining(ch) and i and decomposed[i - 1].isascii())
    ]
    return unicodedata.normalize("NFC", "".join(kept))


_OTHER_SPELLINGS: tuple[tuple[re.Pattern[str], Callable[[str], str]], ...] = (
    (_LEET, lambda t: _LEET.sub(lambda m: m.group(0).translate(_LEET_LETTERS), t)),
    (_SPACED, lambda t: _SPACED.sub(lambda m: re.sub(r"[\s.]", "", m.group(0)), t)),
    (_NOT_ASCII, _unaccented),
    (_FILLERS, lambda t: _STRESS.sub("", _PAUSE.sub(" ", t))),
)


@dataclass(frozen=True)
class _Respelling:
    """spelling_words.json, with each target and its one-letter deletions as keys."""

    txt: dict[str, str]
    targets: frozenset[str]
    misspelt: dict[str, str]  # a target the patterns read as misspelt: its word ("sucidal")
    # Never corrected: the known words, and every word of the phrase data, in every language
    # ("nicht" is not "night", "suicidas" not "suicidal": a negation or an idiom would be lost).
    left: frozenset[str]
    by_deletion: dict[str, frozenset[str]]


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@cache
def _respelling(path: Path = SPELLING_WORDS_PATH) -> _Respelling:
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    rules = load_rules()
    # The exclusions as written: compiled letter first, a first word is split ("t(?<!\w\w)esis",
    # and "tesis" was respelled "tests", its thesis on "suicidio" no longer excluded).
    written = [e.pattern.replace(_BOUNDARY_AFTER, "") for e in rules.exclusions]
    phrase_words = {
        word
        for regex in [p.source for p in rules.patterns] + written
        for word in re.findall(r"[^\W\d_]+", re.sub(r"\\[a-zA-Z]", " ", regex))
    }
    by_deletion: dict[str, set[str]] = {}
    for target in raw["targets"]:
        for key in _deletions(target) | {target}:
            by_deletion.setdefault(key, set()).add(target)
    return _Respelling(
        txt=raw["txt"],
        targets=frozenset(raw["targets"]),
        misspelt=raw["misspelt"],
        left=frozenset(raw["targets"]) | frozenset(raw["known"]) | phrase_words,
        by_deletion={key: frozenset(found) for key, found in by_deletion.items()},
    )


def _one_edit(a: str, b: str) -> bool:
    """a and b differ by one letter added, dropped or changed, or two neighbours swapped."""
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = sorted((a, b), key=len)
    i = next((i for i in range(len(short)) if short[i] != long[i]), len(short))
    return short[i:] == long[i + 1 :]


# Between two words 2 and 4 are to and for ("wants 2 kill herself"); "w/o" ("w o") is without.
_TXT_DIGITS = re.compile(r"(?<=[a-z] )[24](?= [a-z])")
_WITHOUT = re.compile(r"\bw (?:o|out)\b")
_WORD = re.compile(r"\b[a-z0-9]+\b")


def _respelled_word(word: str, respelling: _Respelling) -> str:
    if word in respelling.txt:
        return respelling.txt[word]
    if len(word) < 4 or not word.isalpha() or word in respelling.left:
        return word
    if word.endswith("in") and word + "g" in respelling.targets:  # thinkin
        return word + "g"
    near = {t for key in _deletions(word) | {word} for t in respelling.by_deletion.get(key, ())}
    # "suicdal" is one edit from "sucidal" and "suicidal": one word, misspelt or not
    near = {respelling.misspelt.get(t, t) for t in near if _one_edit(word, t)}
    return near.pop() if len(near) == 1 else word


def _respelled(spelling: str) -> str:
    """A normalised text with txt-speak written out and each unknown word one edit from exactly
    one word of the English patterns read as that word ("ima end it 2nite", "im goign to end it
    tonigth"), a known word left as written ("overdone" is not "overdose"): spelling_words.json."""
    respelling = _respelling()
    text = _WITHOUT.sub(
        "without", _TXT_DIGITS.sub(lambda m: "to" if m[0] == "2" else "for", spelling)
    )
    return _WORD.sub(lambda m: _respelled_word(m[0], respelling), text)


# Words dictation splits ("i took an over dose"), joined; "better of" is "better off" before
# without or if ("everyone would be better of with out me").
_JOINED = (
    (re.compile(r"\bover (dos(?:e|ed|es|ing))\b"), r"over\1"),
    (re.compile(r"\bwith out\b"), "without"),
    (re.compile(r"\bany more\b"), "anymore"),
    (re.compile(r"\bno body\b"), "nobody"),
    (re.compile(r"\bbetter of\b(?= (?:without|if)\b)"), "better off"),
)


def _dictated(lowered: str) -> str:
    """A lowered text as typed (common/dictation.py), normalised, its split words joined."""
    text = _words(as_typed(lowered))
    for split, joined in _JOINED:
        text = split.sub(joined, text)
    return text


def spellings(text: str) -> list[str]:
    """The normalised text, and the other spellings it is also scanned in: format characters as
    spaces ("want\u200bto die"), "$" and "@" as s and a, letters written as digits or "!",
    spaced-out letters joined, accents dropped, pauses and stress words left out, txt-speak
    and misspellings written out (_respelled), and dictation as typed, also respelled ("im
    gonna jump period", "i took an over dose": _dictated). Each is the whole message: an idiom or a
    look-around cut at the edge of a part would raise an alarm the whole message does not."""
    lowered = _lower(text)
    found = [_words(lowered)]
    if _has_format_characters(text):
        found.append(_words(_lower(text, format_characters=" ")))
    if _SYMBOL_LETTERS.search(lowered):
        found.append(
            _words(_SYMBOL_LETTERS.sub(lambda m: m.group(0).translate(_AS_LETTERS), lowered))
        )
    for base in list(found):
        for changes, respell in _OTHER_SPELLINGS:
            if changes.search(base) and (other := respell(base)) not in found:
                found.append(other)
    if (respelled := _respelled(found[0])) not in found:
        found.append(respelled)
    if (dictated := _dictated(lowered)) != found[0]:
        found.extend(other for other in (dictated, _respelled(dictated)) if other not in found)
    return found


def _squeezed(spelling: str, rules: SafetyRules) -> list[str]:
    """`spelling`, and with its letter runs squeezed ("dieee" as die and diee) if it has any."""
    if not rules.long_runs.search(spelling):
        return [spelling]
    return [spelling, rules.long_runs.sub(r"\1", spelling), rules.long_runs.sub(r"\1\1", spelling)]


def _as_excluded(match: re.Match[str]) -> str:
    """The words of a match each made _EXCLUDED, a word no pattern looks for."""
    return re.sub(r"\S+", _EXCLUDED, match.group(0))


def _theirs_left_out(text: str, rules: SafetyRules) -> str:
    """`text` with the words a pattern about another person reads made _EXCLUDED: "my girlfriend
    is suicidal" is not the user's "suicidal", "my friend took a bunch of pills" not their
    pills. Each such pattern names the person before the words (he, she, my sister), so what
    the user says of themselves elsewhere in the message is still read ("my friend is suicidal
    and i want to die too")."""
    for regex in rules.about_others:
        text = regex.sub(_as_excluded, text)
    return text


def _scan(variants: list[str], rules: SafetyRules, hits: dict[str, float]) -> None:
    """Add the patterns a spelling's `variants` (_squeezed) match, with the idioms removed and,
    for the patterns about the user, what the patterns about another person read
    (_theirs_left_out)."""
    # Only the patterns not hit yet can add to `hits`; when none matches a variant, the kept
    # variants below (the same words, an idiom's made ",", a word no pattern looks for) add
    # nothing either. One by one, so that the first match ends the look, and no pattern already
    # found in an earlier spelling is searched again.
    fresh = [p.regex for p in rules.patterns if p.source not in hits]
    if not any(regex.search(v) for regex in fresh for v in variants):
        return
    # Squeezing keeps every word in place, so an idiom found in one variant is removed from all:
    # "killlling myself laughing" is the idiom once squeezed, and must not match as written.
    idiom_words: set[int] = set()
    for variant in variants:
        for exclusion in rules.exclusions:
            variant = exclusion.sub(_as_excluded, variant)
        idiom_words.update(i for i, w in enumerate(variant.split(" ")) if _EXCLUDED in w)
    for variant in variants:
        words = variant.split(" ")
        kept = " ".join(_EXCLUDED if i in idiom_words else w for i, w in enumerate(words))
        # In every spelling, also when they were all found in an earlier one.
        users = _theirs_left_out(kept, rules)
        for pattern in rules.patterns:
            read = kept if pattern.kind in ABOUT_OTHERS else users
            if pattern.source not in hits and pattern.regex.search(read):
                hits[pattern.source] = pattern.weight


def matched_patterns(text: str) -> dict[str, float]:
    """Which crisis patterns a text matches in any of its spellings: {pattern: weight} (for
    tests and audit logs)."""
    rules = load_rules()
    hits: dict[str, float] = {}
    found = list(dict.fromkeys(spellings(text)))  # a base may equal another ("🤦\u200d♀")
    budget, unsqueezed = SQUEEZE_BUDGET_CHARS, 0
    for spelling in found:
        variants = _squeezed(spelling, rules)
        squeezes = sum(map(len, variants[1:]))
        if squeezes > budget:
            variants, unsqueezed = variants[:1], unsqueezed + 1
        else:
            budget -= squeezes
        _scan(variants, rules, hits)
    if unsqueezed:
        _scan_cut().warning(
            log,
            "",
            "crisis patterns: %d of a message's %d spellings were scanned without their letter "
            "runs squeezed (%d characters at most; the squeezes' budget is %d)",
            unsqueezed,
            len(found),
            max(map(len, found)),
            SQUEEZE_BUDGET_CHARS,
        )
    return hits


# The user says it of themselves too, in words no pattern reads as a crisis on their own ("my
# friend wants to kill herself and honestly same", "... i feel like that too", "... so do i",
# "... i dont see the point either"), makes it theirs with the other's ("... we made a pact",
# "... i might join her", "... we both do", "... i've thought about it too", "... i've felt
# that way") or blames themselves ("because of me"): read on the normalised text (apostrophes
# dropped). Broad on purpose: the first-person reply is the safe one.
# In each language with third_party patterns ("mein Freund will sich umbringen, ich auch").
# A character or a story they say is them ("my character wants to kill herself and she's
# basically me", "... honestly it's me", "her goodbye letters are really mine": the creative
# review) is theirs too: _IT_IS_ME.
_IT_IS_ME = (
    r"(?:(?:she|he|it|they|character|protagonist|heroine|hero|narrator)\s+(?:is|are)|shes|hes|"
    r"its|theyre)\s+(?:basically\s+|really\s+|honestly\s+|actually\s+|just\s+)?me|"
    r"(?:really|actually|honestly)\s+mine"
)
_ME_TOO = re.compile(
    rf"\b(?:{_IT_IS_ME}|"
    r"same|me\s+(?:too|neither|as\s+well|either)|so\s+(?:do|am|have|would|will)\s+i|"
    r"i\s+(?:do|am|have|would|will|feel|think)\s+(?:too|as\s+well)|(?:like|feel)\s+that\s+too|"
    r"pacts?|(?:we|us)\s+both|both\s+of\s+us|join\s+(?:her|him|them)|"
    r"thought\s+(?:about|of)\s+it\s+(?:too|myself|as\s+well)|felt\s+(?:that|the\s+same)\s+way|"
    r"either|because\s+of\s+me|my\s+fault|"
    r"ich\s+auch|mir\s+auch|ich\s+genauso|mir\s+geht\s+es\s+genauso|mir\s+gehts\s+genauso|"
    r"wegen\s+mir|meine\s+schuld|"
    r"moi\s+(?:aussi|non\s+plus|pareil|de\s+même|de\s+meme)|pareil\s+pour\s+moi|"
    r"(?:à|a)\s+cause\s+de\s+moi|(?:ma|de\s+ma)\s+faute|"
    r"yo\s+(?:también|tambien|tampoco|igual)|igual\s+que\s+yo|(?:por\s+)?mi\s+culpa|"
    r"eu\s+(?:também|tambem|tb|tbm)|nem\s+eu|(?:por\s+)?(?:minha\s+culpa|culpa\s+minha)|"
    r"por\s+causa\s+de\s+mim)\b"
)


def about_someone_else(text: str) -> bool:
    """The crisis patterns the text matches are all about another person (ABOUT_OTHERS: "my
    friend wants to kill herself"): the user is worried for someone, as far as the patterns can
    tell. Not when one about the user matches too, nor when none does (the model's flag alone
    does not say who is in danger), nor when the user says the same of themselves (_ME_TOO)."""
    return only_about_others(crisis_kinds(text)) and not says_it_of_themselves(text)


def only_about_others(kinds: Set[str]) -> bool:
    """Crisis patterns' `kinds` (crisis_kinds), all of patterns about another person."""
    return bool(kinds) and kinds <= ABOUT_OTHERS


def crisis_kinds(text: str) -> set[str]:
    """The kinds of the crisis patterns the text matches ("suicide", "third_party", ...)."""
    kinds = {p.source: p.kind for p in load_rules().patterns}
    return {kinds[pattern] for pattern in _turn_hits(text)}


def crisis_tags(text: str) -> set[str]:
    """The tags of the crisis patterns the text matches (TAKEN, LEAVE, HIDE)."""
    tags = {p.source: p.tags for p in load_rules().patterns}
    return {tag for pattern in _turn_hits(text) for tag in tags[pattern]}


def crisis_language(*texts: str, locale: str | None = None) -> str | None:
    """The language the crisis patterns the texts match read ("Quiero morir.": "es"): the
    crisis reply's, whatever the request's `locale` says. Of several they all read (a word
    written alike: "je pense au suicide" is English and French), the locale's language if it is
    one of them, else the one the texts' common words tell (common.languages.language_among).
    None when none matches (the model's flag alone), when they read no language in common, or
    when nothing tells which ("suicidio" alone, with an en-US locale)."""
    languages = {p.source: p.languages for p in load_rules().patterns}
    hits = [languages[pattern] for text in texts for pattern in _turn_hits(text)]
    common = frozenset.intersection(*hits) if hits else frozenset()
    if len(common) <= 1:
        return next(iter(common), None)
    own = locale.split("-")[0].lower() if locale else None
    return own if own in common else language_among(" ".join(texts), common)


def says_it_of_themselves(text: str) -> bool:
    """The user says the same of themselves, or blames themselves (_ME_TOO)."""
    return _ME_TOO.search(normalise(text)) is not None


@dataclass
class _Verdicts:
    lock: threading.Lock = field(default_factory=threading.Lock)
    by_text: dict[str, dict[str, float]] = field(default_factory=dict)


# One turn's verdicts (scanned_once). A turn asks for the patterns' verdict on its message where
# a limit would refuse it (the request budget, the in-flight cap, the burst limits, a session
# gone) and in its analysis: a scan of 4,000 crafted characters costs several hundred ms of CPU.
_TURN_VERDICTS: ContextVar[_Verdicts | None] = ContextVar("safety_verdicts", default=None)


@contextmanager
def scanned_once() -> Iterator[None]:
    """Within it, assess_safety scans each text once; the verdict is kept until it ends (one
    turn: the message is not held past it). The analysis's thread runs in a copy of the turn's
    context, which shares these verdicts; one opened inside another shares the outer one's."""
    token = None if _TURN_VERDICTS.get() is not None else _TURN_VERDICTS.set(_Verdicts())
    try:
        yield
    finally:
        if token is not None:
            _TURN_VERDICTS.reset(token)


def _turn_hits(text: str) -> dict[str, float]:
    """matched_patterns(text), scanned once within scanned_once (the verdict, the reply's kind)."""
    verdicts = _TURN_VERDICTS.get()
    if verdicts is None:
        return matched_patterns(text)
    with verdicts.lock:  # the analysis's thread and the limits may ask at once: one scans
        if text not in verdicts.by_text:
            verdicts.by_text[text] = matched_patterns(text)
        return verdicts.by_text[text]


def assess_safety(text: str) -> Safety:
    """Crisis probability (noisy-OR of matched phrase weights) and, when in crisis, helplines.
    No crisis when every sign the patterns read is told in the past or of recovery
    (lived_experience): `lived_experience` says so."""
    rules = load_rules()
    hits = _turn_hits(text)
    miss = 1.0
    for weight in hits.values():
        miss *= 1.0 - weight
    probability = round(min(1.0, max(0.0, 1.0 - miss)), 4)
    lived = probability >= rules.threshold and _lived(text, hits)
    crisis = probability >= rules.threshold and not lived
    return Safety(
        crisis=crisis,
        probability=probability,
        resources=rules.resources if crisis else (),
        detected_by=("patterns",) if crisis else (),
        lived_experience=lived,
    )


# Lived experience: a crisis told in the past or of recovery (common/analysis/recovery.py).
# The kinds a frame may hold: the user's own thoughts, self-harm and eating disorders (kind
# self_harm), not someone hurting them, danger or another person's crisis.
_OWN_KINDS = frozenset({"suicide", "self_harm", "distress"})
# A longer message is read as the patterns read it: its frames would cost a second scan.
_LONGEST_LIVED = 1000  # characters


@cache
def _kind_of() -> dict[str, str]:
    return {p.source: p.kind for p in load_rules().patterns}


def lived_experience(text: str) -> bool:
    """The message tells of a crisis in the past or of recovery, and says nothing of it now
    ("I used to cut myself but I've been clean for 2 years", "I'm not suicidal anymore,
    therapy really helped"): every sign the crisis patterns read sits in a clause with a past
    or recovery frame, or, when they read none, a crisis is named only in such clauses; and
    nothing in the message says it is back (recovery.PRESENT_RISK: "again", "the urges are
    back", "scared I'll relapse"). Only signs of the user's own thoughts, self-harm or an
    eating disorder (_OWN_KINDS)."""
    return _lived(text, _turn_hits(text))


def _lived(text: str, hits: dict[str, float]) -> bool:
    if len(text) > _LONGEST_LIVED or any(_kind_of()[hit] not in _OWN_KINDS for hit in hits):
        return False
    if recovery.present_risk(normalise(text)):
        return False
    parts = recovery.clauses(text)  # clause, end, clause, ...
    framed = {i for i in range(0, len(parts), 2) if recovery.framed(normalise(parts[i]))}
    if not framed:
        return False
    # The message without its framed clauses: no sign may be left in it.
    rest = "".join("" if i in framed else part for i, part in enumerate(parts))
    if hits:
        return not matched_patterns(rest)
    told = any(recovery.crisis_topic(normalise(parts[i])) for i in framed)
    return told and not recovery.crisis_topic(normalise(rest))
