"""Crisis messages typed fast or misspelt (the fairness review of 2026-12-07: the patterns read
3 of its 20 misspelt crisis messages and 11 of its 20 in txt-speak): one more spelling of the
message with txt-speak written out and a word one edit from a word of the English patterns read
as that word (common/data/spelling_words.json), never a word that is already English."""

from __future__ import annotations

import json
import re

import pytest

from common.analysis import safety
from common.analysis.safety import SPELLING_WORDS_PATH, _one_edit, assess_safety, load_rules

CRISIS = [
    "Im goign to end it tonigth",
    "Everyone wuold be beter off withuot me",
    "ima end it 2nite",
    "my bff said she wants 2 kill herself",
    "been thinkin bout offing myself tbh",
    "every1 wud b better off w/o me tbh",
    "my dad keeps beatin me",  # a dropped g, though "beatin" is one edit from "beaten" too
    # One edit from a word and from a misspelling of it the patterns read (the dictation
    # review: "suicdal" is "sucidal" or "suicidal", and was read as neither).
    "i feel suicdal",
    "i am thinking about suiscide",
    "i want to kill myslf",
]
ORDINARY = [
    "I overdone the structure",  # not "overdose"
    "I keep putting myself last at work",  # not "cutting myself": an English word is kept
    "the season finale is filled with twists",  # not "reason", "killed"
    "c u 2nite at the gym, ima bring the bands",
    "every1 loved the demo lol, thx 4 the help",
    "my bff n me r going 2 the concert 2nite",
    "im thinkin of quitting my job to start a bakery",
    "the thin client is goign to be replaced next week",
    # "haut mich um, dass" (it bowls me over) is an exclusion's, whose words are never respelled:
    # "dass" read as "days" left the violence pattern's "meine Mutter haut mich"
    "meine Mutter haut mich um, dass sie das geschafft hat",
]


@pytest.mark.parametrize("text", CRISIS)
def test_a_misspelt_or_texted_crisis_message_is_flagged(text: str) -> None:
    assert assess_safety(text).crisis is True


@pytest.mark.parametrize("text", ORDINARY)
def test_a_misspelt_or_texted_ordinary_message_is_not(text: str) -> None:
    assert assess_safety(text).crisis is False


def test_a_known_word_is_left_as_written() -> None:
    assert safety._respelled("i overdone the structure") == "i overdone the structure"
    assert safety._respelled("i keep putting myself last") == "i keep putting myself last"
    assert safety._respelled("im goign to end it tonigth") == "im going to end it tonight"


def test_a_misspelling_one_edit_from_a_word_and_its_misspellings_is_that_word() -> None:
    assert safety._respelled("i feel suicdal") == "i feel suicidal"
    assert safety._respelled("siucide") == "suicide"
    assert safety._respelled("myslf") == "myself"


def test_a_misspelling_one_edit_from_two_words_is_left_as_written() -> None:
    # "kall": "call" or "kill"? Reading it as either could make or unmake a crisis.
    assert safety._respelled("i will kall my mom") == "i will kall my mom"


@pytest.mark.parametrize(
    ("text", "respelled"),
    [
        ("ich denke nicht daran", "ich denke nicht daran"),  # not "night"
        ("no tengo pensamientos suicidas", "no tengo pensamientos suicidas"),  # not "suicidal"
    ],
)
def test_a_word_of_the_phrase_data_is_never_corrected(text: str, respelled: str) -> None:
    """The other languages' negations and idioms stay theirs."""
    assert safety._respelled(text) == respelled


def _pattern_words(regex: str) -> set[str]:
    """The words of a pattern as written, and each stem with its group's letters: suicid(?:e|al)."""
    words = {
        stem + ending
        for stem, endings in re.findall(r"(?<![a-z\\])([a-z]{3,})\(\?:([a-z|]+)\)", regex)
        for ending in endings.split("|")
    }
    return words | set(re.findall(r"(?<![a-z])[a-z]+(?![a-z])", re.sub(r"\\[a-zA-Z]", " ", regex)))


def test_the_word_lists_agree_with_the_patterns() -> None:
    """Each target is a word the patterns read (or a stem's: suicid(?:e|al)); each known word
    is one edit from a target and is not one itself: the list holds what it guards."""
    raw = json.loads(SPELLING_WORDS_PATH.read_text(encoding="utf-8"))
    targets, known = set(raw["targets"]), set(raw["known"])
    words = set().union(*(_pattern_words(p.source) for p in load_rules().patterns))
    assert targets - words == set()
    assert targets & known == set()
    misspelt = raw["misspelt"]  # a misspelt target's word is a target
    assert [m for m, w in misspelt.items() if {m, w} - targets or m == w] == []
    by_length: dict[int, list[str]] = {}
    for t in targets:
        by_length.setdefault(len(t), []).append(t)
    far = [
        w
        for w in known
        if not any(_one_edit(w, t) for n in (-1, 0, 1) for t in by_length.get(len(w) + n, ()))
    ]
    assert far == []
