"""A message over the length limit that the crisis patterns flag at its start or end (a long
voice note ending "and i want to die"): no limit refuses a crisis, so it is answered with the
crisis reply (service.crisis_past_budget), read as its first or last MAX_MESSAGE_CHARS."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import ValidationError

from common.chat.models import MAX_MESSAGE_CHARS, LegacyChatRequest, TurnCreate
from common.chat.service import patterns_say_crisis

Body = TypeVar("Body", TurnCreate, LegacyChatRequest)  # the request bodies with a message


def cuts(model: type[Body], data: Any) -> list[Body]:
    """When `data`'s message is over MAX_MESSAGE_CHARS: `data` as `model` with the message cut
    to its first MAX_MESSAGE_CHARS, and to its last, each where all else is valid; else []."""
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, str) or len(message := message.strip()) <= MAX_MESSAGE_CHARS:
        return []
    found = []
    for cut in (message[:MAX_MESSAGE_CHARS], message[-MAX_MESSAGE_CHARS:]):
        try:
            found.append(model.model_validate({**data, "message": cut}))
        except ValidationError:
            continue
    return found


def crisis_cut(bodies: list[Body]) -> Body | None:
    """The first of `bodies` whose message the crisis patterns flag."""
    return next((body for body in bodies if patterns_say_crisis(body.message)), None)
