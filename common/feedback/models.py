"""The feedback API's request and response models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic_core import PydanticCustomError

from common.chat.models import SessionId, StrictBody

Rating = Literal["up", "down"] | Annotated[int, Field(ge=1, le=5)]


class FeedbackCreate(StrictBody):
    turn_id: SessionId  # server-made turn ids have a session id's form, and its 400's words
    session_id: SessionId
    rating: Rating
    comment: Annotated[str, StringConstraints(max_length=1000)] | None = None

    @field_validator("rating", mode="wrap")
    @classmethod
    def _one_message(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """One message for both forms: the union's first error named only 'up' or 'down', so a
        client sending 0 or 6 was told numbers are not accepted (the contract review)."""
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError(
                "rating", "Input should be 'up', 'down' or a whole number from 1 to 5"
            ) from None


class FeedbackOut(BaseModel):
    turn_id: str
    session_id: str
    rating: str | int
    reward: float
    created: bool  # the first rating of this turn (a later one replaces it)
    # false when this repeats the rating already stored, or was sent before it (then rating and
    # reward are the stored ones)
    changed: bool
