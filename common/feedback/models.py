"""The feedback API's request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from common.chat.models import SessionId, StrictBody

TurnId = Annotated[str, StringConstraints(pattern=r"^[a-f0-9]{32}$")]
Rating = Literal["up", "down"] | Annotated[int, Field(ge=1, le=5)]


class FeedbackCreate(StrictBody):
    turn_id: TurnId
    session_id: SessionId
    rating: Rating
    comment: Annotated[str, StringConstraints(max_length=1000)] | None = None


class FeedbackOut(BaseModel):
    turn_id: str
    session_id: str
    rating: str | int
    reward: float
    created: bool  # the first rating of this turn (a later one replaces it)
    changed: bool  # false when this repeats the rating already stored
