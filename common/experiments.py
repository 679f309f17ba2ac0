"""A/B tests of the persona ranking (pure): experiments from configuration and the deterministic
assignment of a user to a variant.

An experiment names its variants, the share of traffic each gets, the personalization policy
each runs (None: the configured PERSONALIZATION_POLICY) and a window [start, end). A user's
place in an experiment is hashed from the experiment id and the user's key, to positions in
[0, 1): the same user always lands in the same variant, different experiments split users
independently, and nothing has to be stored.

Enrolment and variant are two independent positions: a user is enrolled when the first is
below the shares' total (the rest are not enrolled), and the enrolled user's variant is where
the second falls among the shares scaled to that total. So ramping an
experiment up (every share multiplied by the same factor, 5 %/5 % -> 25 %/25 %) keeps each
enrolled user in their variant and only adds new users; with one hash for both, a raised share
moved every later slice boundary, and all of the first ramp's treatment users became control
users. Changing the ratio between the shares, or the list of variants, still moves users
between variants: that is a new experiment, with a new id (and a window of its own).

Every experiment changes the same thing (which policy picks the persona), so two experiments
may not run at the same time: their windows must not overlap, or neither result would mean
anything. Analysis is intention-to-treat: a turn belongs to the user's variant even when the
user chose the persona themselves or was being cared for after a crisis. A user whose analytics
rows are anonymous is in no experiment (common/chat/service.py): anyone can recompute a variant
from a user key, so a variant on those rows would link them to the user's keyed ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
PolicyName = Literal["static", "formula", "thompson"]
SPLIT_TOLERANCE = 1e-9  # shares are floats: 0.1 * 10 need not be exactly 1


class Variant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    traffic: float = Field(gt=0, le=1)  # share of all users
    policy: PolicyName | None = None  # None: the configured PERSONALIZATION_POLICY


class Experiment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Name
    # At most 10: ab_results.sql widens each interval for the comparisons with the control
    # (Bonferroni), from a table of quantiles for up to 9 of them.
    variants: tuple[Variant, ...] = Field(min_length=2, max_length=10)
    start: AwareDatetime
    end: AwareDatetime
    control: Name | None = None  # the variant the others are compared with; default the first

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names = [v.name for v in self.variants]
        if len(set(names)) != len(names):
            raise ValueError(f"experiment {self.id!r}: variant names must be unique")
        if sum(v.traffic for v in self.variants) > 1 + SPLIT_TOLERANCE:
            raise ValueError(f"experiment {self.id!r}: traffic shares sum to more than 1")
        if self.end <= self.start:
            raise ValueError(f"experiment {self.id!r}: end must be after start")
        if self.control is None:
            object.__setattr__(self, "control", names[0])
        elif self.control not in names:
            raise ValueError(f"experiment {self.id!r}: control {self.control!r} is no variant")
        return self

    def running(self, now: datetime) -> bool:
        return self.start <= now < self.end


@dataclass(frozen=True)
class Assignment:
    experiment: str
    variant: str
    policy: PolicyName | None
    control: str  # the experiment's control variant, so that results need no configuration
    # The variant's configured share of the enrolled users (its traffic over the shares' total,
    # unchanged by a ramp-up), against which the results view checks the users it sees.
    share: float


def event_fields(assignment: Assignment | None) -> dict[str, str | float | None]:
    """What events (and the stored turn, for its feedback) say about the user's variant; the
    results view (common/analytics/views/ab_results.sql) compares variants with
    `control_variant` and their users with `variant_share` (sample ratio mismatch)."""
    if assignment is None:
        return {"experiment": None, "variant": None, "control_variant": None, "variant_share": None}
    return {
        "experiment": assignment.experiment,
        "variant": assignment.variant,
        "control_variant": assignment.control,
        "variant_share": assignment.share,
    }


def bucket(experiment_id: str, subject: str) -> float:
    """The user's uniform position in [0, 1) for this experiment (first 64 bits of SHA-256)."""
    digest = hashlib.sha256(f"{experiment_id}\x00{subject}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign(experiment: Experiment, subject: str, now: datetime) -> Assignment | None:
    """The variant this user sees now, or None outside the window or the enrolled share."""
    if not experiment.running(now):
        return None
    total = sum(v.traffic for v in experiment.variants)
    if bucket(experiment.id, subject) >= total and total < 1 - SPLIT_TOLERANCE:
        return None
    # A second hash, independent of enrolment: a ramp-up keeps users in their variant.
    position = bucket(f"{experiment.id}\x00variant", subject) * total
    edge = 0.0
    # v ends as the variant whose slice holds position, or as the last variant when float
    # rounding leaves position just past the last edge.
    for v in experiment.variants:
        edge += v.traffic
        if position < edge:
            break
    return Assignment(experiment.id, v.name, v.policy, str(experiment.control), v.traffic / total)


def assign_running(
    experiments: Iterable[Experiment], subject: str, now: datetime
) -> Assignment | None:
    """The assignment in the experiment running now (windows never overlap), if any."""
    for experiment in experiments:
        if experiment.running(now):
            return assign(experiment, subject, now)
    return None


def check_no_overlap(experiments: Iterable[Experiment]) -> None:
    """Raise ValueError when ids repeat or two windows overlap (see the module docstring)."""
    ordered = sorted(experiments, key=lambda e: e.start)
    ids = [e.id for e in ordered]
    if len(set(ids)) != len(ids):
        raise ValueError("experiment ids must be unique")
    for a, b in pairwise(ordered):
        if b.start < a.end:
            raise ValueError(f"experiments {a.id!r} and {b.id!r} overlap in time")
