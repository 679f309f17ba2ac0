"""Conservative crisis detector: the offline fallback until a trained safety model is deployed.

Phrases live in ``safety_phrases.json`` (see its ``_about``). The detector errs on the side of
safety: anything explicitly about wanting to die, suicide or self-harm is flagged even when it may
be hyperbole ("this bug makes me want to die lol"), because a false alarm only shows helplines
while a miss can cost a life. Everyday idioms that state no such wish ("this deadline is killing
me", "kill the process", "I'm dying to know", "dead tired") are not flagged.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from common.analysis.types import Safety

PHRASES_PATH = Path(__file__).with_name("safety_phrases.json")

_DROP_APOSTROPHES = str.maketrans("", "", "'’‘`´")
_EXCLUDED = " , "  # what an idiom is replaced with: a word break no pattern looks for


@dataclass(frozen=True)
class _Pattern:
    kind: str
    weight: float
    regex: re.Pattern[str]


@dataclass(frozen=True)
class SafetyRules:
    """The compiled phrase data."""

    threshold: float
    exclusions: tuple[re.Pattern[str], ...]
    patterns: tuple[_Pattern, ...]
    any_pattern: re.Pattern[str]  # all patterns in one: a quick "nothing to see here"
    resources: tuple[str, ...]
    symbols: re.Pattern[str]
    spaces: re.Pattern[str]
    long_runs: re.Pattern[str]


@cache
def load_rules(path: Path = PHRASES_PATH) -> SafetyRules:
    """Read and compile the phrase data once; raise ValueError when it is malformed."""
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    patterns = []
    for item in raw["patterns"]:
        weight = item["weight"]
        if not isinstance(weight, (int, float)) or not 0.0 <= weight <= 1.0:
            raise ValueError(f"safety: weight of {item['pattern']!r} is not in [0, 1]")
        patterns.append(_Pattern(item["kind"], float(weight), re.compile(item["pattern"])))
    resources = tuple(raw["resources"])
    if not resources or not all(isinstance(r, str) and r.strip() for r in resources):
        raise ValueError("safety: resources must be non-empty strings")
    return SafetyRules(
        threshold=float(raw["threshold"]),
        exclusions=tuple(re.compile(e) for e in raw["exclusions"]),
        patterns=tuple(patterns),
        any_pattern=re.compile("|".join(f"(?:{p.regex.pattern})" for p in patterns)),
        resources=resources,
        symbols=re.compile(r"[^\w\s.!?]|_"),
        spaces=re.compile(r"\s+"),
        long_runs=re.compile(r"([^\W\d_])\1{2,}"),
    )


def normalise(text: str) -> str:
    """Lowercase, drop apostrophes, keep only words and . ! ? separated by single spaces."""
    rules = load_rules()
    text = text.lower().translate(_DROP_APOSTROPHES)
    return rules.spaces.sub(" ", rules.symbols.sub(" ", text)).strip()


def matched_patterns(text: str) -> dict[str, float]:
    """Which crisis patterns a text matches: {pattern: weight} (for tests and audit logs)."""
    rules = load_rules()
    base = normalise(text)
    hits: dict[str, float] = {}
    variants = [base]
    if rules.long_runs.search(base):  # stretched spelling: also try "dieee" as die and diee
        variants += [rules.long_runs.sub(r"\1", base), rules.long_runs.sub(r"\1\1", base)]
    for variant in variants:
        if not rules.any_pattern.search(variant):
            continue
        for exclusion in rules.exclusions:
            variant = exclusion.sub(_EXCLUDED, variant)
        for pattern in rules.patterns:
            if pattern.regex.search(variant):
                hits[pattern.regex.pattern] = pattern.weight
    return hits


def assess_safety(text: str) -> Safety:
    """Crisis probability (noisy-OR of matched phrase weights) and, when in crisis, helplines."""
    rules = load_rules()
    miss = 1.0
    for weight in matched_patterns(text).values():
        miss *= 1.0 - weight
    probability = round(min(1.0, max(0.0, 1.0 - miss)), 4)
    crisis = probability >= rules.threshold
    return Safety(
        crisis=crisis, probability=probability, resources=rules.resources if crisis else ()
    )
