"""Sentiment with VADER: a lexicon model that needs no network and no training."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from common.analysis.types import Sentiment

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    """The VADER analyzer, built on first use (it reads its lexicon files) and then kept."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def score_sentiment(text: str) -> Sentiment:
    """Label a text positive (compound >= 0.05), negative (<= -0.05) or neutral."""
    compound = float(_analyzer().polarity_scores(text)["compound"]) if text.strip() else 0.0
    if compound >= POSITIVE_THRESHOLD:
        label = "positive"
    elif compound <= NEGATIVE_THRESHOLD:
        label = "negative"
    else:
        label = "neutral"
    return Sentiment(label=label, score=round(compound, 4))
