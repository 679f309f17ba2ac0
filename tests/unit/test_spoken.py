"""Dictated text (common/spoken.py) as the summary and sentiment read it (the dictation review:
spoken marks and fillers leaked into the summary, Gemini's "Topics:" and the sentiment)."""

from __future__ import annotations

import pytest

from common.analysis import score_sentiment
from common.dictation import spoken_marks
from common.sessions.summary import extract_tried, keywords


@pytest.mark.parametrize(
    ("dictated", "read"),
    [
        ("i tried yoga period it helped", "i tried yoga. it helped"),
        ("did it work question mark", "did it work?"),
        ("i got the job exclamation point", "i got the job!"),
        ("it failed full stop then comma nothing", "it failed. then, nothing"),
    ],
)
def test_spoken_marks_are_read_as_marks(dictated: str, read: str) -> None:
    assert spoken_marks(dictated) == read


@pytest.mark.parametrize(
    "text",
    [
        "my period is late",
        "I'm still in my trial period",
        "over a long period of time",
        "my bad period pains",
        "there's a question mark over my job",
        "period",
    ],
)
def test_a_mark_that_is_a_word_stays_a_word(text: str) -> None:
    assert spoken_marks(text) == text


def test_what_they_tried_leaves_a_spoken_period_out() -> None:
    # "Since (restarting the computer period) didn't help..."
    assert extract_tried("i already tried restarting the computer period") == [
        "restarting the computer"
    ]
    assert extract_tried("i tried tracking my period") == ["tracking my period"]


def test_a_spoken_mark_is_no_topic() -> None:
    assert keywords("i tried meditating period and long walks") == ["meditating", "walks"]
    assert keywords("i got the promotion exclamation mark so happy") == ["promotion", "happy"]
    assert "period" in keywords("my period is late and im freaking out")


def test_a_filler_like_is_not_read_as_liking() -> None:
    # VADER scores "like" +1.5: the nervous message read as positive (+0.49)
    nervous = (
        "so like i have this job interview tomorrow and im really nervous like what if they ask"
    )
    assert score_sentiment(nervous).label == "negative"
    assert score_sentiment("I like my job").label == "positive"
    assert score_sentiment("um i really like it").label == "positive"
