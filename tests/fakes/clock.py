"""A clock a test moves by hand, for code that takes `clock=`: expiry and reset periods are
then tested without sleeping, whatever the machine's speed."""

from __future__ import annotations


class FakeClock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
