"""Percentiles and standard errors as the benchmarks report them."""

from __future__ import annotations

import math
import statistics


def pct(values: list[float], p: float) -> float:
    """The p-quantile (0..1) with linear interpolation between ranks; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def mean_se(values: list[float]) -> float:
    """Standard error of the mean of independent values; NaN for fewer than 2."""
    if len(values) < 2:
        return float("nan")
    return statistics.stdev(values) / math.sqrt(len(values))


def clustered_se(clusters: list[list[float]]) -> float:
    """Standard error of the mean of equal-sized clusters (e.g. each simulated user's turns,
    which share a preference and a learned profile), from the clusters' means: the turns
    taken as independent give too small an error."""
    return mean_se([statistics.mean(c) for c in clusters])
