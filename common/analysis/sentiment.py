"""Sentiment with VADER: a lexicon model that needs no network and no training."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from common.analysis.types import Sentiment

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05
# VADER spells each emoji out in words and then loops over the words once per word, so its time
# grows with the square of the emoji count (1,000 emoji took 0.6 s, 4,000 over 10 s); past this
# many, more emoji say nothing new about the sentiment.
MAX_EMOJI = 64


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    """The VADER analyzer, built on first use (it reads its lexicon files) and then kept."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def _few_emoji(text: str, emojis: dict[str, str]) -> str:
    """The text with its emoji after the first MAX_EMOJI left out."""
    kept, seen = [], 0
    for ch in text:
        if ch in emojis:
            seen += 1
            if seen > MAX_EMOJI:
                continue
        kept.append(ch)
    return "".join(kept)


def score_sentiment(text: str) -> Sentiment:
    """Label a text positive (compound >= 0.05), negative (<= -0.05) or neutral."""
    analyzer = _analyzer()
    text = _few_emoji(text, analyzer.emojis)
    compound = float(analyzer.polarity_scores(text)["compound"]) if text.strip() else 0.0
    if compound >= POSITIVE_THRESHOLD:
        label = "positive"
    elif compound <= NEGATIVE_THRESHOLD:
        label = "negative"
    else:
        label = "neutral"
    return Sentiment(label=label, score=round(compound, 4))
