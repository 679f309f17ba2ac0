"""Persona routing: the ResonanceBasedRouter and its affinity matrix."""

from common.routing.router import (
    Affinity,
    RankedPersona,
    ResonanceBasedRouter,
    load_affinity_matrix,
    parse_affinity_matrix,
)

__all__ = [
    "Affinity",
    "RankedPersona",
    "ResonanceBasedRouter",
    "load_affinity_matrix",
    "parse_affinity_matrix",
]
