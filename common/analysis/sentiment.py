"""Sentiment with VADER: a lexicon model that needs no network and no training."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from common.analysis.types import Sentiment
from common.dictation import spoken_marks, without_filler_like

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05
# VADER spells each emoji out in words and then loops over the words once per word, so its time
# grows with the square of the emoji count (1,000 emoji took 0.6 s, 4,000 over 10 s); past this
# many, more emoji say nothing new about the sentiment.
MAX_EMOJI = 64
# Idioms VADER reads word by word the wrong way round: success as violence or illness ("killed"
# -3.5, "crushing" -1.5, "sick" -2.3: "I killed it at the presentation today" scored -0.67), and
# a complaint as praise ("credit" +1.6: "my boss takes credit for my work" +0.38). They are
# blanked before scoring, as VADER's own SPECIAL_CASES set a phrase's valence ("bus stop": 0).
# Only idioms with a word VADER misreads ("nailed it", "aced it" read neutral already); keep it
# short, as each entry hides that word's reading wherever the phrase occurs ("I got credit for
# the launch" stays positive).
MISREAD_IDIOMS = (
    r"\b(?:killed|killing|crushed|crushing)\s+it\b"
    r"|\b(?:this|that)(?:\s+is|\s+was|['’]s)\s+(?:so\s+)?sick\b"
    r"|\b(?:take|takes|took|taking|taken|steal|steals|stole|stealing)\s+(?:all\s+)?(?:the\s+)?"
    r"credit\b"
)
# Distress that will not stop, which VADER reads as negated distress ("won't" flips "crying":
# "the baby won't stop crying and I'm losing it" scored +0.21, the review of carers and new
# parents): read as "keeps crying".
NEVER_STOPS = (
    r"\b(?:won['’]?t|wont|will\s+not|doesn['’]?t|does\s+not|didn['’]?t|can['’]?t|cannot|never"
    r"|wouldn['’]?t)\s+stop\s+(?=(?:crying|screaming|yelling|shouting|wailing|hitting"
    r"|fighting|hurting|aching)\b)"
)
# Sarcasm VADER reads as praise ("oh great, another reorg. love that for me" +0.85 got "That's
# wonderful"): a closing "/s", the internet's mark for it, and "oh great, another ...". Such a
# message scores no better than neutral; its negative words still count.
SARCASM = (
    r"(?:^|\s)/s\W*$"
    r"|\boh\s+(?:great|wonderful|perfect|fantastic|lovely|joy)\W+another\b"
)

# Lexicon values VADER gets wrong for this chat, set once where the analyzer is built: yelling,
# shouting and gaslighting are not in its lexicon ("my manager keeps yelling at me" read
# neutral), and "help" (+1.7) made "I need help, everything is falling apart" positive.
LEXICON_FIXES = {
    **dict.fromkeys(
        ("yell", "yells", "yelled", "yelling", "shout", "shouts", "shouted", "shouting"), -1.5
    ),
    **dict.fromkeys(("gaslight", "gaslights", "gaslighted", "gaslighting", "gaslit"), -1.5),
    "help": 0.0,
}


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    """The VADER analyzer, built on first use (it reads its lexicon files) and then kept."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(LEXICON_FIXES)
    # VADER spells 🔥 out as "fire" (-1.4): "got the offer 🔥🔥🔥" scored -0.74. In chat it
    # cheers far more often than it burns; the word itself keeps its reading ("on fire").
    analyzer.emojis["🔥"] = ""
    return analyzer


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
    text = without_filler_like(spoken_marks(text))  # dictated: "exclamation mark", "so like"
    text = re.sub(MISREAD_IDIOMS, " ", _few_emoji(text, analyzer.emojis), flags=re.IGNORECASE)
    text = re.sub(NEVER_STOPS, "keeps ", text, flags=re.IGNORECASE)
    compound = float(analyzer.polarity_scores(text)["compound"]) if text.strip() else 0.0
    if compound > 0 and re.search(SARCASM, text, flags=re.IGNORECASE):
        compound = 0.0
    if compound >= POSITIVE_THRESHOLD:
        label = "positive"
    elif compound <= NEGATIVE_THRESHOLD:
        label = "negative"
    else:
        label = "neutral"
    return Sentiment(label=label, score=round(compound, 4))
