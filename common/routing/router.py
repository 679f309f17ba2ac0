"""ResonanceBasedRouter: which persona fits a message, by expected affinity.

For each persona, the score of one signal group is the expected affinity under the analysed
distribution, ``sum(p(label) * affinity[persona][label])``, so a split distribution counts every
plausible reading, not just the top label. Group scores are combined with weights (tone 0.4,
pace 0.2, intent 0.4 by default). The affinity matrix (4 personas x 19 labels, each with a value
in [0, 1] and a one-line reason) is data, in ``affinity.json``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from common.labels import PERSONA_IDS, SIGNALS
from common.personas import PERSONAS

if TYPE_CHECKING:  # not at import: common.analysis runs its package (baseline, scanner)
    from common.analysis.types import Analysis, Distribution

AFFINITY_PATH = Path(__file__).with_name("affinity.json")
REASONS_PER_PERSONA = 2
# A reason cites a signal's label only when the reading is more likely than not: the model's
# confident readings pass (on the held-out corpus 88 % of its tones, 99 % of paces and 96 % of
# intents, right 82-89 % of the time), the lexicon baseline's near-uniform ones do not ("calm"
# at 0.18 for "hello", at 0.46 for an exam worry).
CITED_CONFIDENCE = 0.5
_LABEL_ORDER = tuple(label for labels in SIGNALS.values() for label in labels)


def _citable(analysis: Analysis) -> set[str]:
    """The label the analysis reports for each signal (tone, pace, intent), where it is read
    with at least CITED_CONFIDENCE; none for a message not in English, which neither the model
    nor the lexicon reads (a Japanese "so lonely since I moved" was "You sound excited")."""
    from common.analysis.types import NOT_ENGLISH  # loaded by now: an analysis exists

    if analysis.source == NOT_ENGLISH:
        return set()
    readings = (getattr(analysis, signal) for signal in SIGNALS)
    return {d.label for d in readings if d.confidence >= CITED_CONFIDENCE}


@dataclass(frozen=True)
class Affinity:
    """How well a persona fits one signal label, and why, in words for the user."""

    value: float
    reason: str


@dataclass(frozen=True)
class RankedPersona:
    id: str
    name: str
    score: float  # in [0, 1], rounded to 4 places
    reasons: tuple[str, ...]


AffinityMatrix = Mapping[str, Mapping[str, Affinity]]


def parse_affinity_matrix(raw: Any) -> AffinityMatrix:
    """Validate raw matrix data: exactly the 4 personas x 19 labels, values in [0, 1], reasons.

    Keys starting with "_" at the top level are documentation. Raises ValueError on anything else.
    """
    if not isinstance(raw, Mapping):
        raise ValueError("affinity matrix: expected an object of personas")
    personas = {k: v for k, v in raw.items() if not str(k).startswith("_")}
    if set(personas) != set(PERSONA_IDS):
        missing = sorted(set(PERSONA_IDS) - set(personas))
        extra = sorted(set(personas) - set(PERSONA_IDS))
        raise ValueError(f"affinity matrix: personas missing {missing}, unknown {extra}")
    matrix: dict[str, Mapping[str, Affinity]] = {}
    for persona_id in PERSONA_IDS:
        row = personas[persona_id]
        if not isinstance(row, Mapping) or set(row) != set(_LABEL_ORDER):
            have = set(row) if isinstance(row, Mapping) else set()
            raise ValueError(
                f"affinity matrix: {persona_id} must have exactly the {len(_LABEL_ORDER)} signal "
                f"labels (missing {sorted(set(_LABEL_ORDER) - have)}, "
                f"unknown {sorted(have - set(_LABEL_ORDER))})"
            )
        cells: dict[str, Affinity] = {}
        for label in _LABEL_ORDER:
            cell = row[label]
            where = f"affinity matrix: {persona_id}.{label}"
            if not isinstance(cell, Mapping) or set(cell) != {"value", "reason"}:
                raise ValueError(f"{where} must be an object with exactly 'value' and 'reason'")
            value, reason = cell["value"], cell["reason"]
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or not 0.0 <= value <= 1.0
            ):
                raise ValueError(f"{where}: value must be a number in [0, 1], got {value!r}")
            if not isinstance(reason, str) or not reason.strip():
                raise ValueError(f"{where}: reason must be a non-empty string")
            cells[label] = Affinity(float(value), reason.strip())
        matrix[persona_id] = MappingProxyType(cells)
    return MappingProxyType(matrix)


def load_affinity_matrix(path: str | os.PathLike[str]) -> AffinityMatrix:
    """Read and validate a matrix file; raise ValueError when it is not a valid matrix."""
    try:
        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh)
    except json.JSONDecodeError as exc:
        raise ValueError(f"affinity matrix: {path} is not valid JSON: {exc}") from exc
    return parse_affinity_matrix(raw)


@cache
def _default_matrix() -> AffinityMatrix:
    return load_affinity_matrix(AFFINITY_PATH)


def _normalised(dist: Distribution, labels: tuple[str, ...]) -> dict[str, float]:
    """The distribution restricted to the group's labels and renormalised (uniform if empty)."""
    probs = {label: max(0.0, float(dist.probs.get(label, 0.0))) for label in labels}
    total = sum(probs.values())
    if not math.isfinite(total) or total <= 0.0:
        return dict.fromkeys(labels, 1.0 / len(labels))
    return {label: p / total for label, p in probs.items()}


class ResonanceBasedRouter:
    """Scores and ranks the personas for an analysed message."""

    def __init__(
        self,
        matrix_path: str | os.PathLike[str] | None = None,
        *,
        tone_weight: float = 0.4,
        pace_weight: float = 0.2,
        intent_weight: float = 0.4,
    ) -> None:
        """Load (and validate) the matrix; group weights are normalised to sum to 1."""
        self._matrix = (
            _default_matrix() if matrix_path is None else load_affinity_matrix(matrix_path)
        )
        weights = {"tone": tone_weight, "pace": pace_weight, "intent": intent_weight}
        for group, weight in weights.items():
            if isinstance(weight, bool) or not isinstance(weight, (int, float)):
                raise ValueError(f"{group}_weight must be a number")
            if not math.isfinite(weight) or weight < 0:
                raise ValueError(f"{group}_weight must be a finite number >= 0")
        total = sum(weights.values())
        if total <= 0:
            raise ValueError("at least one group weight must be positive")
        self._weights = MappingProxyType({g: w / total for g, w in weights.items()})

    @property
    def matrix(self) -> AffinityMatrix:
        return self._matrix

    @property
    def weights(self) -> Mapping[str, float]:
        """The normalised group weights (tone, pace, intent)."""
        return self._weights

    def contributions(self, analysis: Analysis) -> dict[str, dict[str, float]]:
        """Per persona, what each label adds to its score: weight(group) * p(label) * value."""
        probs: dict[str, float] = {}
        for group, labels in SIGNALS.items():
            dist = _normalised(getattr(analysis, group), labels)
            probs.update({label: self._weights[group] * p for label, p in dist.items()})
        return {
            persona_id: {
                label: probs[label] * self._matrix[persona_id][label].value
                for label in _LABEL_ORDER
            }
            for persona_id in PERSONA_IDS
        }

    def score(self, analysis: Analysis) -> dict[str, float]:
        """Each persona's expected affinity in [0, 1], in persona order."""
        return {
            persona_id: min(1.0, max(0.0, math.fsum(parts.values())))
            for persona_id, parts in self.contributions(analysis).items()
        }

    def rank(self, analysis: Analysis, top: int = 3) -> list[RankedPersona]:
        """The ``top`` best-fitting personas, best first, ties broken by persona order."""
        if top < 1:
            raise ValueError("top must be at least 1")
        contributions = self.contributions(analysis)
        scores = {
            pid: min(1.0, max(0.0, math.fsum(c.values()))) for pid, c in contributions.items()
        }
        order = sorted(
            PERSONA_IDS, key=lambda pid: (-round(scores[pid], 12), PERSONA_IDS.index(pid))
        )
        # Reasons cite only what the analysis reports (each signal's label): the label that
        # contributes most may be a runner-up ("Your pace is steady" beside pace "urgent").
        # With no reading sure enough to cite, a neutral line.
        said = _citable(analysis)
        reported = [label for label in _LABEL_ORDER if label in said]
        ranked = []
        for persona_id in order[:top]:
            parts = contributions[persona_id]
            strongest = sorted(
                reported, key=lambda label: (-parts[label], _LABEL_ORDER.index(label))
            )[:REASONS_PER_PERSONA]
            name = PERSONAS[persona_id].name
            cited = tuple(self._matrix[persona_id][label].reason for label in strongest)
            ranked.append(
                RankedPersona(
                    id=persona_id,
                    name=name,
                    score=round(scores[persona_id], 4),
                    reasons=cited or (f"{name} fits this kind of message.",),
                )
            )
        return ranked
