"""Text analysis: the offline baseline (lexicon, VADER, entities, safety) and its value types."""

from common.analysis.baseline import analyze_baseline, signal_distributions
from common.analysis.entities import extract_entities
from common.analysis.safety import assess_safety
from common.analysis.sentiment import score_sentiment
from common.analysis.types import Analysis, Distribution, Entity, Safety, Sentiment

__all__ = [
    "Analysis",
    "Distribution",
    "Entity",
    "Safety",
    "Sentiment",
    "analyze_baseline",
    "assess_safety",
    "extract_entities",
    "score_sentiment",
    "signal_distributions",
]
