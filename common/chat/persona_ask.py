"""Which persona a turn was asked for, where, and which one the user said no to (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from common.analysis.persona_request import persona_request


@dataclass(frozen=True)
class PersonaAsk:
    persona: str | None = None  # answers the turn, unless care comes first
    via: str | None = None  # "field": the request's `persona`; "message": typed in it
    refused: str | None = None  # said no to in the message: neither shown nor offered


def persona_ask(*, field: str | None, message: str) -> PersonaAsk:
    """The request's field wins (a persona it names is not refused); else what the message
    asks for (common.analysis.persona_request)."""
    wanted, refused = persona_request(message)
    if field:
        return PersonaAsk(field, "field", None if refused == field else refused)
    if wanted:
        return PersonaAsk(wanted, "message", refused)
    return PersonaAsk(refused=refused)
