"""The crisis patterns written letter first at load (safety._letter_first) match what the phrase
data's patterns match, and the scan that uses them finds the same patterns (the regex review:
100 of 112 patterns start with \\b, which Python's re tries at every character)."""

from __future__ import annotations

import re

import pytest

from common.analysis import safety
from common.analysis.safety import _letter_first, load_rules, matched_patterns

# Word starts, after digits, underscores, non-ASCII letters and marks, at the string's start.
TRICKY = [
    "kms",
    "kms now",
    " kms",
    "1kms 2 kms",
    "_kms a_kms",
    "ékms é kms",
    "日kms",
    "kmskms",
    "i want to die, wanna die, wish to die, want2 die",
    "x i want to die",
    "ii want to die",
    "1i want to die",
    "i\u0301 want to die",
    "slit my wrists, aslit my wrists, stab myself",
    "cutting again i cut again",
    "kill myself killmyself kill myself. _kill myself",
    "i can't go on. i cant go on anymore!!! nobody would miss me",
    "über kill myself çkill myself ßkill myself",
]


@pytest.mark.parametrize(
    ("written", "letter_first"),
    [
        (r"\bkms\b", r"k(?<!\w\w)ms\b"),
        (r"\b(?:kill|die)\s+x", r"(?:k(?<!\w\w)ill|d(?<!\w\w)ie)\s+x"),
        (r"\bkms\b|\bi\s+die", r"k(?<!\w\w)ms\b|i(?<!\w\w)\s+die"),
        # left as written: re could not skip ahead in them (see _letter_first)
        (r"\b(?:kill|die)\s+x|\bkms", r"\b(?:kill|die)\s+x|\bkms"),
        (r"\bkms|(?:^|[.!?])\s*die", r"\bkms|(?:^|[.!?])\s*die"),
        (r"\bk?ms", r"\bk?ms"),
        (r"\b(?:kill|die)?x", r"\b(?:kill|die)?x"),
        (r"\b(?:kill|\d+)x", r"\b(?:kill|\d+)x"),
        (r"\b[a-z]ms", r"\b[a-z]ms"),
        (r"\bk[|)]ms|\bi", r"k(?<!\w\w)[|)]ms|i(?<!\w\w)"),  # | and ) in a set are letters
    ],
)
def test_a_pattern_that_starts_with_a_boundary_and_a_letter_is_written_letter_first(
    written, letter_first
):
    assert _letter_first(written) == letter_first


def _spans(regex: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in regex.finditer(text)]


def test_each_pattern_and_idiom_matches_the_same_spans_written_letter_first():
    rules = load_rules()
    sources = [p.source for p in rules.patterns] + [e.pattern for e in rules.exclusions]
    rewritten = 0
    for source in sources:
        if (letter_first := _letter_first(source)) == source:
            continue
        rewritten += 1
        written, compiled = re.compile(source), re.compile(letter_first)
        for text in TRICKY:
            assert _spans(compiled, text) == _spans(written, text), (source, text)
    assert rewritten >= 75  # most patterns: a rule that wrote none would pass the loop


def test_the_scan_finds_the_patterns_it_found_with_the_patterns_as_written(monkeypatch):
    """A compact stand-in for the corpus check (every record, old and new, in the commit that
    wrote the patterns letter first): the hits of the scan with the letter-first patterns, and
    with the patterns compiled as the phrase data writes them."""
    texts = TRICKY + [
        "i want to... really die dieee",
        "Käll mysélf k1ll m\u200by$elf s u i c i d e",
        "this deadline is killing me lol",
        "killlling myself laughing",
        "i'm dying to know how this ends",
        "kill the process and restart",
        "i dont want to be here anymore. i want to disappear",
        "私は死にたい ich will sterben quiero morir je veux mourir",
        "work " * 50,
        "?! " * 100,
    ]
    letter_first = {t: matched_patterns(t) for t in texts}
    monkeypatch.setattr(safety, "_letter_first", lambda regex: regex)
    load_rules.cache_clear()
    try:
        assert load_rules().patterns[0].regex.pattern.startswith(r"\b")  # as written
        assert {t: matched_patterns(t) for t in texts} == letter_first
        assert sum(bool(hits) for hits in letter_first.values()) >= 8
    finally:
        load_rules.cache_clear()
