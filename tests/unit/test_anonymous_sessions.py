"""A user who turns anonymise on (or off) in the middle of a session: no analytics row links the
session's keyed rows to its anonymous ones (the lifecycle review: the first anonymous turn's
previous_persona, tone and intent matched the keyed session's last row, the session's end was
keyed with counts matching the anonymous rows, and a first rating went out under the other
identity)."""

from __future__ import annotations

from datetime import timedelta

from common.analysis import with_model
from common.config import Settings
from common.events import Event
from common.feedback.models import FeedbackCreate
from common.feedback.service import FeedbackContext, submit_feedback
from common.ports import TurnContext
from tests.fakes import turns


class Store(turns.MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.anonymize = False

    def read_turn_context(self, *, session_id, **_) -> TurnContext:
        user = {"settings": {"anonymize_analytics": self.anonymize}}
        return TurnContext(keyed_turn=None, session=self.sessions.get(session_id), user=user)


def analyze(text: str):
    return with_model.analyze(text, model=None)


def _turns(store: Store, publisher: turns.Publisher, session_id: str | None, n: int) -> str:
    for i in range(n):
        r = turns.take_turn(uid="u1", message=f"how do I plan week {i}?", analyze=analyze,
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


class Ratings:
    def __init__(self, turn: dict, anonymized: bool) -> None:
        self.turn, self.anonymized, self.rating = turn, anonymized, None

    def read_feedback_context(self, **_) -> FeedbackContext:
        from common.sessions.state import new_session

        session = new_session(session_id="5" * 32, owner_uid="u1", now=turns.NOW,
                              ttl=timedelta(days=1))  # fmt: skip
        return FeedbackContext(turn=self.turn, session=session, existing=self.rating,
                               anonymized=self.anonymized)  # fmt: skip

    def write_feedback(self, *, doc, **_) -> None:
        self.rating = doc


def test_a_first_rating_of_a_turn_logged_under_the_other_identity_is_private():
    turn = {"owner_uid": "u1", "turn_index": 3, "persona": "elro", "keyed": False}
    for anonymized, private in ((False, True), (True, False)):
        store, publisher = Ratings(turn, anonymized), turns.Publisher()
        body = FeedbackCreate(turn_id="a" * 32, session_id="5" * 32, rating="up")
        submit_feedback(uid="u1", body=body, store=store, outbox=turns.Outbox(),
                        publisher=publisher, settings=Settings(), now=turns.NOW)  # fmt: skip
        (event,) = publisher.events
        assert event.private is private and store.rating["keyed"] is False


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
