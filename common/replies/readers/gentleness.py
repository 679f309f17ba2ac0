"""Gentleness: what a message and its window say of heavy events, health limits and eating far
too little, read once a turn (the personas' ranking and the replies share it)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from common.replies.readers.eating import health_risk
from common.replies.readers.health import health_limits
from common.replies.readers.heavy import heavy_event


@dataclass(frozen=True)
class Gentleness:
    """What a message and its window say of heavy events, health limits and eating far too
    little: each holds while it is in the window (the turn after "I had a miscarriage" is still
    no time to cheer)."""

    heavy_now: bool = False  # a heavy life event in the message itself
    heavy: bool = False  # one in the message or the window
    limits: bool = False  # health limits in the message or the window
    risk: bool = False  # eating far too little (health_risk) in the message or the window

    @property
    def gentle(self) -> bool:
        """No brisk persona, no cheering, no push."""
        return self.heavy or self.limits or self.risk


def gentleness(message: str, window_messages: Iterable[str]) -> Gentleness:
    """The Gentleness of `message` after the window's earlier messages."""
    earlier = tuple(window_messages)
    heavy_now = heavy_event(message)
    return Gentleness(
        heavy_now=heavy_now,
        heavy=heavy_now or any(map(heavy_event, earlier)),
        limits=any(map(health_limits, (message, *earlier))),
        risk=any(map(health_risk, (message, *earlier))),
    )
