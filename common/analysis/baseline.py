"""Offline text-analysis baseline: tone, pace and intent from a weighted-cue lexicon.

This is what answers when the persona model is unavailable. It is deliberately transparent:
every weight lives in ``lexicon.json`` next to this file (its ``_about`` explains the scoring),
and the code only tokenises, matches cues and turns scores into probabilities.

Scoring, per signal group (tone, pace, intent), one score per label:

1. ``base`` scores (calm/curious tone, steady pace) and message-shape rules (question, short or
   long statement, terse, long first-person text);
2. matched cues: greedy longest match, phrases before single words, negation flips a cue;
3. intensity: ``!!``+ and ALL CAPS amplify the tone cues and push urgent, emoji add weights;
4. the VADER compound score as a soft prior (negative pushes the negative tones, positive pushes
   excited and calm).

Scores become probabilities with a softmax at the group's temperature, then epsilon smoothing,
so every label of the fixed label set is present and none is zero.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from common.analysis.entities import extract_entities
from common.analysis.safety import assess_safety
from common.analysis.sentiment import score_sentiment
from common.analysis.types import Analysis, Distribution, Sentiment
from common.labels import SIGNALS
from common.languages import not_english

LEXICON_PATH = Path(__file__).with_name("lexicon.json")
NO_SENTIMENT = Sentiment(label="neutral", score=0.0)

_DROP_APOSTROPHES = str.maketrans("", "", "'’‘")
_FALLBACK_CACHE_SIZE = 20_000  # words remembered by the prefix/typo fallback, then forgotten
# Longer "words" (a clause of Chinese or Japanese has no spaces: one token of up to 4,000
# characters) are looked up each time; cached, 20,000 of them held 155 MB.
_CACHED_WORD_MAX = 40
_LABEL_GROUP = {label: group for group, labels in SIGNALS.items() for label in labels}
_TONES = frozenset(SIGNALS["tone"])
_PACES = SIGNALS["pace"]
_TONE_ORDER = SIGNALS["tone"]


@cache
def _regexes() -> dict[str, re.Pattern[str]]:
    """Compiled on first use, not at import."""
    return {
        "token": re.compile(r"[^\W_]+|[.,;:!?\n]"),
        "stretched": re.compile(r"([^\W\d_])\1{2,}"),
        "runs": re.compile(r"([^\W\d_])\1+"),
        "caps_word": re.compile(r"\b[^\W\d_]{2,}\b"),
        "many_questions": re.compile(r"\?\s*\?"),
    }


def _prepare(text: str) -> str:
    """Lowercase, drop apostrophes (don't -> dont) and shorten letter runs (sooooo -> soo)."""
    return _regexes()["stretched"].sub(r"\1\1", text.lower().translate(_DROP_APOSTROPHES))


def _words(text: str) -> list[str]:
    """The normalised words of a cue or replacement (punctuation dropped)."""
    return [t for t in _regexes()["token"].findall(_prepare(text)) if t[0].isalnum()]


@dataclass(frozen=True)
class _Cue:
    text: str
    tokens: tuple[str, ...]
    weights: Mapping[str, float]


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    cue: _Cue


@dataclass(frozen=True)
class Lexicon:
    """The compiled lexicon: cue index, replacements and rule parameters."""

    by_first_word: Mapping[str, tuple[_Cue, ...]]  # longest phrase first
    prefixes: Mapping[str, _Cue]
    prefix_lengths: tuple[int, ...]  # longest first
    replacements: Mapping[str, tuple[str, ...]]
    negators: frozenset[str]
    request_cues: tuple[str, ...]  # " word word " forms, matched in the spaced token string
    first_person: frozenset[str]
    emoji: Mapping[str, Mapping[str, float]]
    raw: Mapping[str, Any]
    _fallbacks: dict[tuple[str, bool], _Cue | None] = field(default_factory=dict, compare=False)

    def lookup(
        self, tokens: list[str], clauses: list[int], i: int, stretched: bool = False
    ) -> _Cue | None:
        """The longest cue at token i: a phrase, the word, a prefix, or the word unstretched.

        ``stretched`` says the message had letter runs (hiii -> hii), so a word that matches
        nothing is tried again with every run squeezed to one letter (hii -> hi).
        """
        token = tokens[i]
        for cue in self.by_first_word.get(token, ()):
            end = i + len(cue.tokens)
            if (
                end <= len(tokens)
                and clauses[end - 1] == clauses[i]
                and tuple(tokens[i:end]) == cue.tokens
            ):
                return cue
        if len(token) > _CACHED_WORD_MAX:  # seldom seen twice: not worth its memory
            return self._word_fallback(token, stretched)
        key = (token, stretched)
        if key not in self._fallbacks:
            if len(self._fallbacks) > _FALLBACK_CACHE_SIZE:
                self._fallbacks.clear()
            self._fallbacks[key] = self._word_fallback(token, stretched)
        return self._fallbacks[key]

    def _word_fallback(self, token: str, stretched: bool) -> _Cue | None:
        """A prefix cue for the word, else (for stretched text) the word with runs squeezed."""
        for length in self.prefix_lengths:
            if len(token) >= length and (cue := self.prefixes.get(token[:length])) is not None:
                return cue
        if stretched:
            squeezed = _regexes()["runs"].sub(r"\1", token)
            if squeezed != token:
                for cue in self.by_first_word.get(squeezed, ()):
                    if len(cue.tokens) == 1:
                        return cue
        return None


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"lexicon: duplicate key {key!r}")
        seen[key] = value
    return seen


def _label_weights(raw: Mapping[str, Any], where: str) -> dict[str, float]:
    """Validate a {label: weight} mapping (documentation keys start with '_')."""
    out: dict[str, float] = {}
    for label, weight in raw.items():
        if label.startswith("_"):
            continue
        if not isinstance(weight, (int, float)):
            raise ValueError(f"lexicon: {where}.{label} is not a number")
        if label not in _LABEL_GROUP:
            raise ValueError(f"lexicon: {where} names unknown label {label!r}")
        out[label] = float(weight)
    return out


def compile_lexicon(raw: Mapping[str, Any]) -> Lexicon:
    """Build the matching index from the lexicon data; raise ValueError on a malformed lexicon."""
    weights_by_cue: dict[str, dict[str, float]] = {}
    for group, labels in raw["cues"].items():
        if group not in SIGNALS:
            raise ValueError(f"lexicon: unknown signal group {group!r}")
        for label, cues in labels.items():
            if label not in SIGNALS[group]:
                raise ValueError(f"lexicon: {label!r} is not a {group} label")
            for cue, weight in cues.items():
                if not isinstance(weight, (int, float)):
                    raise ValueError(f"lexicon: weight of {cue!r} for {label} is not a number")
                weights_by_cue.setdefault(cue, {})[label] = float(weight)

    by_first: dict[str, list[_Cue]] = {}
    prefixes: dict[str, _Cue] = {}
    for text, weights in weights_by_cue.items():
        if text.endswith("*"):
            stem = _words(text[:-1])
            if len(stem) != 1:
                raise ValueError(f"lexicon: prefix cue {text!r} must be one word")
            prefixes[stem[0]] = _Cue(text, tuple(stem), weights)
            continue
        tokens = tuple(_words(text))
        if not tokens:
            raise ValueError(f"lexicon: empty cue {text!r}")
        cue = _Cue(text, tokens, weights)
        by_first.setdefault(tokens[0], []).append(cue)
    index = {
        word: tuple(sorted(cues, key=lambda c: (-len(c.tokens), c.text)))
        for word, cues in by_first.items()
    }

    for group in SIGNALS:
        _label_weights(raw["base"].get(group, {}), f"base.{group}")
    shape = raw["shape"]
    for rule in ("question", "many_questions", "short_statement", "long_statement"):
        _label_weights(shape[rule], f"shape.{rule}")
    for sign in ("negative", "positive"):
        _label_weights(raw["sentiment_prior"][sign], f"sentiment_prior.{sign}")
    for label, moved in raw["negation"]["transfer"].items():
        _label_weights({label: 0.0, **moved}, f"negation.transfer.{label}")
    for group in SIGNALS:
        temperature = raw["temperature"][group]
        if not isinstance(temperature, (int, float)) or not temperature > 0:
            raise ValueError(f"lexicon: temperature.{group} must be a positive number")
    epsilon = raw["smoothing"]["epsilon"]
    if not isinstance(epsilon, (int, float)) or not 0 < epsilon < 1:
        raise ValueError("lexicon: smoothing.epsilon must be in (0, 1)")
    emoji = {
        key: _label_weights(weights, f"emoji.{key}")
        for key, weights in raw["emoji"]["weights"].items()
    }
    replacements = {
        _prepare(k): tuple(_words(v))
        for k, v in raw["replacements"].items()
        if not k.startswith("_")
    }
    return Lexicon(
        by_first_word=index,
        prefixes=prefixes,
        prefix_lengths=tuple(sorted({len(p) for p in prefixes}, reverse=True)),
        replacements=replacements,
        negators=frozenset(_prepare(n) for n in raw["negation"]["negators"]),
        request_cues=tuple(f" {' '.join(_words(c))} " for c in raw["request_cues"]["cues"]),
        first_person=frozenset(_prepare(w) for w in raw["first_person"]),
        emoji=emoji,
        raw=raw,
    )


@cache
def load_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    """Read and compile the lexicon once (on first use, never at import)."""
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh, object_pairs_hook=_reject_duplicates)
    return compile_lexicon(raw)


def _tokenise(text: str, lexicon: Lexicon) -> tuple[list[str], list[int], int, bool]:
    """Word tokens, their clause numbers, the number of words as written, and whether the
    text had stretched letter runs."""
    lowered = text.lower().translate(_DROP_APOSTROPHES)
    prepared = _regexes()["stretched"].sub(r"\1\1", lowered)
    tokens: list[str] = []
    clauses: list[int] = []
    clause = 0
    written = 0
    replacements = lexicon.replacements
    for word in _regexes()["token"].findall(prepared):
        if not word[0].isalnum():
            clause += 1
            continue
        written += 1
        replacement = replacements.get(word)
        if replacement is None:
            tokens.append(word)
            clauses.append(clause)
        else:
            tokens.extend(replacement)
            clauses.extend([clause] * len(replacement))
    return tokens, clauses, written, prepared != lowered


def _match_cues(
    tokens: list[str], clauses: list[int], lexicon: Lexicon, stretched: bool = False
) -> list[_Match]:
    """Greedy left-to-right longest match, so phrases win over their words."""
    matches: list[_Match] = []
    i = 0
    while i < len(tokens):
        cue = lexicon.lookup(tokens, clauses, i, stretched)
        if cue is None:
            i += 1
            continue
        matches.append(_Match(i, i + len(cue.tokens), cue))
        i += len(cue.tokens)
    return matches


def _is_negated(
    match: _Match,
    tokens: list[str],
    clauses: list[int],
    covered: list[bool],
    lexicon: Lexicon,
    window: int,
) -> bool:
    """Whether a negator (not part of another cue) precedes the match in its clause."""
    for j in range(match.start - 1, max(-1, match.start - 1 - window), -1):
        if clauses[j] != clauses[match.start]:
            return False
        if not covered[j] and tokens[j] in lexicon.negators:
            return True
    return False


def has_tone_cue(text: str, label: str) -> bool:
    """Some cue in `text` says `label` (a word, a negated opposite as in "not worried", or an
    emoji), not only the base scores, the message's shape or VADER: "..." or "like at all" is
    read as calm for want of any cue, which says nothing of the user's mood."""
    lexicon = load_lexicon()
    transfer: Mapping[str, Mapping[str, float]] = lexicon.raw["negation"]["transfer"]
    tokens, clauses, _, stretched = _tokenise(text, lexicon)
    matches = _match_cues(tokens, clauses, lexicon, stretched)
    covered = [False] * len(tokens)
    for m in matches:
        covered[m.start : m.end] = [True] * (m.end - m.start)
    window = lexicon.raw["negation"]["window"]
    for m in matches:
        if _is_negated(m, tokens, clauses, covered, lexicon, window):
            if any(transfer.get(said, {}).get(label, 0.0) > 0 for said in m.cue.weights):
                return True
        elif m.cue.weights.get(label, 0.0) > 0:
            return True
    return any(key in text and w.get(label, 0.0) > 0 for key, w in lexicon.emoji.items())


def _add(scores: dict[str, float], weights: Mapping[str, float], factor: float = 1.0) -> None:
    for label, weight in weights.items():
        if label in scores:
            scores[label] += weight * factor


def _softmax(
    scores: Mapping[str, float], labels: tuple[str, ...], temperature: float, epsilon: float
) -> Distribution:
    """Softmax at a temperature, then mix in epsilon of the uniform distribution."""
    top = max(scores[label] for label in labels)
    exps = [math.exp((scores[label] - top) / temperature) for label in labels]
    total = sum(exps)
    uniform = epsilon / len(labels)
    return Distribution(
        probs={
            label: (1 - epsilon) * e / total + uniform
            for label, e in zip(labels, exps, strict=True)
        }
    )


def signal_distributions(text: str, sentiment: Sentiment | None = None) -> dict[str, Distribution]:
    """Tone, pace and intent distributions of a message (keys as in common.labels.SIGNALS)."""
    lexicon = load_lexicon()
    raw = lexicon.raw
    shape = raw["shape"]
    if sentiment is None:
        sentiment = score_sentiment(text)

    tokens, clauses, n_words, stretched = _tokenise(text, lexicon)
    matches = _match_cues(tokens, clauses, lexicon, stretched)
    covered = [False] * len(tokens)
    for m in matches:
        for j in range(m.start, m.end):
            covered[j] = True

    scores: dict[str, float] = {label: 0.0 for label in _LABEL_GROUP}
    tone_cues: dict[str, float] = {label: 0.0 for label in _TONES}
    for group in SIGNALS:
        _add(scores, raw["base"].get(group, {}))

    negation = raw["negation"]
    transfer: Mapping[str, Mapping[str, float]] = negation["transfer"]
    urgent_cue = False
    pace_cue = False
    for m in matches:
        negated = _is_negated(m, tokens, clauses, covered, lexicon, negation["window"])
        factor = negation["factor"] if negated else 1.0
        for label, weight in m.cue.weights.items():
            target = tone_cues if label in _TONES else scores
            target[label] += weight * factor
            if negated and label in transfer:
                _add(tone_cues, transfer[label], weight)
        if not negated:
            urgent_cue = urgent_cue or m.cue.weights.get("urgent", 0.0) >= 1.0
            pace_cue = pace_cue or any(m.cue.weights.get(p, 0.0) >= 1.0 for p in _PACES)

    if not text.isascii() or ":" in text or "<" in text:  # emoji or emoticons
        for key, weights in lexicon.emoji.items():
            count = min(text.count(key), raw["emoji"]["max_count"])
            if count:
                _add(tone_cues, weights, count)
                _add(scores, {k: v for k, v in weights.items() if k not in _TONES}, count)

    # Message shape.
    first_word = tokens[0] if tokens else ""
    question = "?" in text or first_word in shape["question_words"]
    spaced = f" {' '.join(tokens)} "
    asks = question or any(cue in spaced for cue in lexicon.request_cues)
    terse_rule = shape["terse"]
    terse = n_words <= terse_rule["max_words"] and not asks and not pace_cue
    if question:
        _add(scores, shape["question"])
    elif n_words <= shape["short_statement_max_words"]:
        _add(scores, shape["short_statement"])
    else:
        _add(scores, shape["long_statement"])
    if _regexes()["many_questions"].search(text):
        _add(scores, shape["many_questions"])
    if terse:
        scores["steady"] += terse_rule["steady"]

    reflective = shape["reflective"]
    if n_words >= reflective["min_words"] and not urgent_cue:
        first_person = sum(1 for t in tokens if t in lexicon.first_person)
        if first_person / n_words >= reflective["min_first_person_ratio"]:
            scores["reflective"] += min(reflective["max"], reflective["per_word"] * n_words)

    # Intensity: exclamation marks and shouting.
    intensity = 1.0
    urgency = 0.0
    exclamation = shape["exclamation"]
    marks = text.count("!")
    if marks >= exclamation["min_count"]:
        marks = min(marks, exclamation["max_marks"])
        intensity += exclamation["tone_boost_per_mark"] * marks
        urgency += exclamation["urgent_per_mark"] * marks
        strongest = max(_TONE_ORDER, key=tone_cues.__getitem__)
        if strongest == "excited" and tone_cues["excited"] > 0:
            urgency *= exclamation["joy_damping"]
    caps = shape["caps"]
    words = _regexes()["caps_word"].findall(text)
    shouted = sum(1 for w in words if w.isupper())
    if shouted >= caps["min_words"] and shouted / len(words) >= caps["min_ratio"]:
        intensity += caps["tone_boost"]
        urgency += caps["urgent"]
    if terse:
        urgency *= terse_rule["exclamation_damping"]
    scores["urgent"] += urgency
    for label, value in tone_cues.items():
        scores[label] += value * intensity

    # VADER as a soft prior.
    prior = raw["sentiment_prior"]
    if sentiment.score < 0:
        _add(scores, prior["negative"], -sentiment.score)
    elif sentiment.score > 0:
        _add(scores, prior["positive"], sentiment.score)

    epsilon = raw["smoothing"]["epsilon"]
    return {
        group: _softmax(scores, labels, raw["temperature"][group], epsilon)
        for group, labels in SIGNALS.items()
    }


def analyze_baseline(text: str) -> Analysis:
    """Analyse one message offline: sentiment, tone, pace, intent, entities and safety."""
    # VADER reads English only: in Spanish it read the "no" of "Estoy feliz, no tengo quejas"
    # (-0.30), in German "super" (+0.6). Another language is neutral, and gives no prior.
    sentiment = NO_SENTIMENT if not_english(text) else score_sentiment(text)
    signals = signal_distributions(text, sentiment)
    return Analysis(
        sentiment=sentiment,
        tone=signals["tone"],
        pace=signals["pace"],
        intent=signals["intent"],
        entities=extract_entities(text),
        safety=assess_safety(text),
        source="baseline",
    )
