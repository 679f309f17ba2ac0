"""A user who turns anonymise on (or off) in the middle of a session: no analytics row links the
session's keyed rows to its anonymous ones (the lifecycle review: the first anonymous turn's
previous_persona, tone and intent matched the keyed session's last row, the session's end was
keyed with counts matching the anonymous rows; the ratings' side is in
test_feedback_analytics_identity.py)."""

from __future__ import annotations

from datetime import timedelta

from common.events import Event
from common.ports import TurnContext
from tests.fakes import turns

offline = turns.analyze_offline  # the baseline alone, no model


class Store(turns.MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.anonymize = False

    def read_turn_context(self, *, session_id, **_) -> TurnContext:
        user = {"settings": {"anonymize_analytics": self.anonymize}}
        return TurnContext(keyed_turn=None, session=self.sessions.get(session_id), user=user)


def _turns(store: Store, publisher: turns.Publisher, session_id: str | None, n: int) -> str:
    for i in range(n):
        r = turns.take_turn(uid="u1", message=f"how do I plan week {i}?", analyze=offline,
                            store=store, publisher=publisher, session_id=session_id,
                            now=turns.NOW + timedelta(minutes=len(publisher.events)))  # fmt: skip
        session_id = r["session_id"]
    return session_id


def _turn_events(publisher: turns.Publisher) -> list[Event]:
    return [e for e in publisher.events if e.type == "chat.turn.completed"]


def test_once_a_session_went_out_anonymous_the_rest_does_too_and_the_switch_is_private():
    store, publisher = Store(), turns.Publisher()
    sid = _turns(store, publisher, None, 2)
    store.anonymize = True
    _turns(store, publisher, sid, 2)
    store.anonymize = False  # and back: the session stays anonymous
    _turns(store, publisher, sid, 1)

    keyed, switch, *after = _turn_events(publisher)[1:]
    assert keyed.user_key is not None and not keyed.private
    # The first anonymous turn reaches the profile updater only: its previous_* are the keyed
    # row's.
    assert switch.user_key is None and switch.private
    assert switch.data["previous_persona"] == keyed.data["persona"]
    assert all(e.user_key is None and not e.private for e in after)
    assert all(e.data["profile"] is None for e in (switch, *after))
    assert store.sessions[sid].anonymous is True


def test_a_session_anonymous_from_the_start_is_not_private():
    store, publisher = Store(), turns.Publisher()
    store.anonymize = True
    _turns(store, publisher, None, 2)
    assert all(e.user_key is None and not e.private for e in _turn_events(publisher))


def test_a_session_stored_before_its_identity_was_recorded_is_not_taken_for_a_switch():
    # The diff review: an always-anonymous user's first turn after the deploy went private.
    from dataclasses import replace

    store, publisher = Store(), turns.Publisher()
    store.anonymize = True
    sid = _turns(store, publisher, None, 1)
    store.sessions[sid] = replace(store.sessions[sid], anonymous=None)  # an older document
    _turns(store, publisher, sid, 1)
    later = _turn_events(publisher)[-1]
    assert later.user_key is None and not later.private
    assert store.sessions[sid].anonymous is True
