"""Voice-typed crisis messages (the dictation review): phones' dictation writes a spoken
"period" as the word, keeps fillers, and splits words ("her self"); the crisis patterns, the
only crisis check when the model is down, read them as typed."""

from __future__ import annotations

import pytest

from common.analysis.safety import about_someone_else, assess_safety
from common.dictation import as_typed

SPOKEN_MARKS = [
    "i took them all period",  # the model: 0.196 as said, 0.304 as "i took them all."
    "im gonna jump period",
    "i want to end it period",
    "i dont see the point anymore period",
    "work was awful again today period i dont see the point anymore",
    "i want to end it full stop",
    "i want to um die",  # a filler inside the wish
]
ORDINARY_DICTATION = [
    "my period is late",  # the noun: after my, her, the, a, trial, grace...
    "my period is late and im freaking out",
    "her period pains are awful, she wants it to end",
    "i killed it at the presentation period",
    "this project is a mess im going to end it tomorrow period",
]


SPLIT_WORDS = [
    "i took an over dose",  # Nana: "It's lovely to hear you sounding so settled"
    "every one would be better of with out me",
    "i dont want to be here any more",
    "no body would even miss me",
    "i am thinking of over dosing tonight",
]


@pytest.mark.parametrize("text", SPOKEN_MARKS)
def test_a_dictated_crisis_with_spoken_marks_is_flagged(text: str) -> None:
    assert assess_safety(text).crisis is True


@pytest.mark.parametrize("text", SPLIT_WORDS)
def test_a_dictated_crisis_with_split_words_is_flagged(text: str) -> None:
    assert assess_safety(text).crisis is True


@pytest.mark.parametrize("text", ["my friend wants to kill her self", "he tried to kill him self"])
def test_someone_else_killing_them_self_in_two_words_is_their_crisis(text: str) -> None:
    assert assess_safety(text).crisis is True
    assert about_someone_else(text)


SELF_COMPOUNDS = [  # "self-esteem" is "self esteem" once normalised: my\s*self read it
    "I keep hurting my self-esteem by comparing myself to others",
    "how do i kill my self-doubt before the interview",
    "going to hang my self-portrait in the hall",
    "i have to shoot my self-tape tonight",
    "i want to burn my self-help books",
    "time to starve my self-pity and get on with it",
    "he keeps cutting her self esteem down",
]


@pytest.mark.parametrize("text", SELF_COMPOUNDS)
def test_a_self_compound_is_no_self(text: str) -> None:
    assert assess_safety(text).crisis is False


@pytest.mark.parametrize(
    "text",
    [
        "i want to hurt my self",
        "my self esteem is gone and i want to kill my self",
        "i want to kill my self help me",
    ],
)
def test_my_self_in_two_words_is_still_read(text: str) -> None:
    assert assess_safety(text).crisis is True


@pytest.mark.parametrize("text", ORDINARY_DICTATION)
def test_ordinary_dictation_is_not(text: str) -> None:
    assert assess_safety(text).crisis is False


@pytest.mark.parametrize(
    ("said", "typed"),
    [
        ("i took them all period", "i took them all."),
        ("Is it over question mark", "Is it over?"),
        ("I QUIT exclamation point", "I QUIT!"),
        ("so comma I stayed new line thanks", "so, I stayed\nthanks"),
        ("um, I want to uh go home", "I want to go home"),
        ("my period is late", "my period is late"),
        ("we ended the trial period", "we ended the trial period"),
        ("a question mark over my job", "a question mark over my job"),
        ("the new line manager", "the new line manager"),
        # "um" is a German word: fillers are left out of English only
        ("Wir ziehen um, ich verschenke alles", "Wir ziehen um, ich verschenke alles"),
    ],
)
def test_dictation_reads_as_typed(said: str, typed: str) -> None:
    assert as_typed(said) == typed
