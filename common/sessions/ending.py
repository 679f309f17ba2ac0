"""What the end of a session says about the persona that answered it (pure).

A session ends when it expires unused (`SESSION_TTL_HOURS` after its last turn); the session
cleanup job finds it and publishes one `session.ended` event before deleting it. Two implicit
signals come from its length: a user who left after the first reply ("left right after a
reply") and one who stayed for a long conversation ("long session"). Both are judged on the
persona that answered last, in the context of the last message; neither when the last reply was
the crisis safety message or a care reply."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Final

from common.events import Event, keyless
from common.sessions.state import SessionState

LONG_SESSION_TURNS: Final = 6  # a conversation of this many turns is a long one
# Fixed namespace: the same session always ends with the same event id, so a cleanup run that
# stops after publishing and runs again changes nothing downstream.
ENDED_NAMESPACE: Final = uuid.UUID("6c3f2a1e-8f0b-4d7e-9a51-2f6b9d1c0e47")


def end_signal(turn_count: int) -> str | None:
    """The implicit signal a finished session of this length carries, if any."""
    if turn_count == 1:
        return "left_right_after_reply"
    if turn_count >= LONG_SESSION_TURNS:
        return "long_session"
    return None


def session_ended_event(
    state: SessionState, *, user_key: str | None, subject: str, key: str, now: datetime
) -> Event:
    """The `session.ended` event for an expired session (no message text: analytics stores it);
    an anonymised user's (no user_key) names the session by its anonymous id (`key`: the
    analytics key), and so does its event id."""
    last = state.window[-1] if state.window else None
    data = {
        "turn_count": state.turn_count,
        "duration_s": round(
            max(0.0, (state.last_interaction_at - state.created_at).total_seconds())
        ),
        "persona": state.current_persona,
        "tone": last.tone if last else None,
        "intent": (last.intent or None) if last else None,
        # It ended on the crisis safety message: its length says nothing of the persona.
        "last_crisis": bool(last and last.crisis),
        # It ended on a care reply: the care persona's, imposed after a crisis, not chosen.
        "last_care": bool(last and last.care),
    }
    event = keyless(
        Event("session.ended", now, user_key, state.session_id, data, subject=subject), key
    )
    return replace(event, event_id=str(uuid.uuid5(ENDED_NAMESPACE, event.session_id or "")))
