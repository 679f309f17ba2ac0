"""Percentiles as the benchmarks report them."""

from __future__ import annotations


def pct(values: list[float], p: float) -> float:
    """The p-quantile (0..1) with linear interpolation between ranks; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)
