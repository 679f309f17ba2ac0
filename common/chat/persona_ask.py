"""Which persona a turn was asked for, where, and which one the user said no to (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from common.analysis.persona_request import persona_request
from common.routing.ensemble import BRISK


@dataclass(frozen=True)
class PersonaAsk:
    persona: str | None = None  # answers the turn, unless care comes first
    # "field": the request's `persona`; "message": typed in it; "session": on an earlier turn
    via: str | None = None
    refused: str | None = None  # said no to in the message: neither shown nor offered

    def to_rank(self, *, gentle: bool) -> str | None:
        """The persona the ranking is asked for: one asked for on an earlier turn that is
        BRISK yields to a heavy event or health limits told since (Conversation.gentle)."""
        if self.via == "session" and gentle and self.persona in BRISK:
            return None
        return self.persona


def persona_ask(*, field: str | None, message: str, kept: str | None = None) -> PersonaAsk:
    """The request's field wins (a persona it names is not refused); else what the message
    asks for (common.analysis.persona_request); else `kept`, the session's earlier request
    (SessionState.requested_persona), unless the message says no to it."""
    wanted, refused = persona_request(message)
    if field:
        return PersonaAsk(field, "field", None if refused == field else refused)
    if wanted:
        return PersonaAsk(wanted, "message", refused)
    if kept and kept != refused:
        return PersonaAsk(kept, "session", refused)
    return PersonaAsk(refused=refused)
