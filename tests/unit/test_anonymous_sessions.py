"""A user who turns anonymise on (or off) in the middle of a session: no analytics row links the
session's keyed rows to its anonymous ones (the lifecycle review: the first anonymous turn's
previous_persona, tone and intent matched the keyed session's last row, the session's end was
keyed with counts matching the anonymous rows; the ratings' side is in
test_feedback_analytics_identity.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from common.chat import service
from common.chat.models import TurnCreate
from common.config import Settings
from common.events import Event
from common.experiments import Experiment
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
    assert len(after) == 2  # every turn has its row: all() below reads each
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
    events = _turn_events(publisher)
    assert len(events) == 2 and all(e.user_key is None and not e.private for e in events)


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


def test_an_anonymous_turn_names_no_ab_variant_nor_runs_one():
    # Anyone can recompute a variant from a user_key, so a variant on an anonymous row links it
    # to the user's keyed rows (a 1 %/1 % test: 512 candidates among 50,000 keys). Its policy
    # (and the persona's source and propensity) would tell the variant as well: an anonymised
    # user is in no variant, and gets the configured policy.
    day = timedelta(days=1)
    everyone = Experiment.model_validate({
        "id": "ranker", "start": turns.NOW - day, "end": turns.NOW + day,
        "variants": [{"name": "static", "traffic": 0.5, "policy": "static"},
                     {"name": "formula", "traffic": 0.5, "policy": "formula"}],
    })  # fmt: skip
    settings = Settings(experiments=(everyone,))
    assert settings.personalization_policy == "thompson"  # no variant's

    def turn(store: Store, publisher: turns.Publisher, uid: str, session_id: str | None) -> str:
        body = TurnCreate(client_turn_id=uuid.uuid4().hex, message="how do I plan my week?",
                          session_id=session_id)  # fmt: skip
        ports = turns.turn_ports(store, publisher=publisher, settings=settings)
        response, _ = service.take_turn(uid=uid, body=body, **ports, now=turns.NOW)
        return response["session_id"]

    for uid in ("u1", "u2", "u3", "u4"):
        store, publisher = Store(), turns.Publisher()
        sid = turn(store, publisher, uid, None)  # keyed: in the experiment
        store.anonymize = True
        turn(store, publisher, uid, sid)
        store.anonymize = False  # and back: the session stays anonymous
        turn(store, publisher, uid, sid)
        keyed, *anonymous = _turn_events(publisher)
        assert len(anonymous) == 2  # the switch and the turn after it
        assert keyed.data["experiment"] == "ranker"
        assert keyed.data["policy"] == keyed.data["variant"]
        for event in anonymous:
            assert event.user_key is None
            fields = ("experiment", "variant", "control_variant", "variant_share", "policy")
            assert [event.data[f] for f in fields] == [None, None, None, None, "thompson"]
        # nor does the stored turn, whose rating's row names what it names
        assert [doc["variant"] for doc, _ in store.keys.values()][1:] == [None, None]
