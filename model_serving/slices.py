"""Slices of the held-out records, by register and by length, and the crisis flag on each. (pure)

An overall figure hides a minority that fails: the emoji register's 30 held-out crisis messages
going from 28 caught to 22 moves overall crisis recall by under one point. evaluate.py reports
every head per slice; the retraining job records crisis recall per slice, and promotion.py
holds a challenger to the champion's on the slices with enough crisis messages to count.
"""

from __future__ import annotations

import numpy as np

from model_serving.labels import REGISTERS

# (name, fewest words, most words); a corpus text has 1-90 words (check_corpus)
LENGTHS: tuple[tuple[str, int, float], ...] = (
    ("1-5", 1, 5),
    ("6-15", 6, 15),
    ("16+", 16, float("inf")),
)


def length(text: str) -> str:
    """The length slice of a text, in words as check_corpus counts them."""
    words = len(text.split())
    return next(name for name, lo, hi in LENGTHS if lo <= words <= hi)


def groups(records: list[dict]) -> dict[str, dict[str, list[int]]]:
    """{"register": {register: indices}, "length": {length: indices}}, in a fixed order, empty
    slices left out."""
    out: dict[str, dict[str, list[int]]] = {
        "register": {r: [] for r in REGISTERS},
        "length": {n: [] for n, _, _ in LENGTHS},
    }
    for i, record in enumerate(records):
        out["register"][record["register"]].append(i)
        out["length"][length(record["text"])].append(i)
    return {dim: {n: idx for n, idx in g.items() if idx} for dim, g in out.items()}


def crisis_recall(records: list[dict], flag: np.ndarray) -> dict[str, dict[str, float | int]]:
    """{"register=emoji": {"recall", "positives"}, ...}: crisis recall and the number of crisis
    records per slice (a slice with none is left out: nothing to catch). `flag` is the model's
    flag per record."""
    y = np.array([bool(r["crisis"]) for r in records])
    out: dict[str, dict[str, float | int]] = {}
    for dim, by_name in groups(records).items():
        for name, idx in by_name.items():
            positives = int(y[idx].sum())
            if positives:
                caught = int((flag[idx] & y[idx]).sum())
                out[f"{dim}={name}"] = {
                    "recall": round(caught / positives, 4),
                    "positives": positives,
                }
    return out
