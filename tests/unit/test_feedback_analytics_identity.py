"""A rating counts once in analytics when its user anonymises (or stops) between two ratings of
the same turn: the raw and the anonymous turn id would be two rows of one rating."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common.config import Settings
from common.events import Event
from common.feedback.models import FeedbackCreate, FeedbackOut
from common.feedback.service import FeedbackContext, submit_feedback
from common.sessions.state import new_session

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
UID, SESSION, TURN = "u1", "5" * 32, "a" * 32


class Store:
    """One turn, its rating document and the user's analytics setting, as Firestore keeps them."""

    def __init__(self) -> None:
        self.rating: dict | None = None
        self.anonymized = False
        self.turn = {"owner_uid": UID, "turn_index": 0, "persona": "lua", "tone": "anxious"}
        self.session = new_session(
            session_id=SESSION, owner_uid=UID, now=NOW, ttl=timedelta(days=1)
        )

    def read_feedback_context(self, *, key, uid, session_id, turn_id) -> FeedbackContext:
        return FeedbackContext(
            turn=self.turn, session=self.session, existing=self.rating, anonymized=self.anonymized
        )

    def write_feedback(self, *, key, doc, events, context) -> None:
        self.rating = doc


class Published:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, events: list[Event]) -> None:
        self.events += events

    def delete_outbox(self, ids) -> None:
        pass


def submit(store: Store, published: Published, rating) -> FeedbackOut:
    body = FeedbackCreate(turn_id=TURN, session_id=SESSION, rating=rating)
    return submit_feedback(
        uid=UID,
        body=body,
        store=store,
        outbox=published,
        publisher=published,
        settings=Settings(ion_env="local"),
        now=NOW,
    )


def rate(store: Store, published: Published, rating) -> Event:
    submit(store, published, rating)
    return published.events[-1]


@pytest.mark.parametrize("first_anonymized", [False, True])
def test_a_rating_changed_after_the_setting_changed_reaches_only_internal_consumers(
    first_anonymized,
):
    store, published = Store(), Published()
    store.anonymized = first_anonymized
    first = rate(store, published, "up")
    assert not first.private and store.rating["keyed"] is not first_anonymized

    store.anonymized = not first_anonymized
    changed = rate(store, published, "down")
    # the profile updater still learns the change (its subject, the previous reward) ...
    assert changed.private and changed.attributes()["private"] == "true"
    assert (changed.subject, changed.data["previous_reward"]) == (first.subject, 1.0)
    # ... and analytics keeps the row it has, under the identity it was stored with
    assert store.rating["keyed"] is not first_anonymized
    assert rate(store, published, 3).private

    store.anonymized = first_anonymized  # back as it was: the stored row's identity again
    back = rate(store, published, 4)
    assert not back.private and back.data["turn_id"] == first.data["turn_id"]


def test_a_rating_under_an_unchanged_setting_reaches_analytics():
    store, published = Store(), Published()
    store.anonymized = True
    assert not rate(store, published, "up").private
    assert not rate(store, published, "down").private


def test_a_rating_stored_before_its_identity_was_recorded_counts_as_keyed():
    store, published = Store(), Published()
    rate(store, published, "up")
    del store.rating["keyed"]
    store.anonymized = True
    assert rate(store, published, "down").private


def test_a_rating_sent_earlier_but_arriving_later_does_not_replace_a_later_one():
    # Two phones rate one turn: B's "down" (sent later) commits first; A's "up", sent earlier,
    # then finds it. The later request stands, as analytics orders ratings by time (the
    # concurrency review: A's write replaced it in Firestore and the profile).
    store, published = Store(), Published()
    store.rating = {"rating": "down", "reward": 0.0, "comment": None, "keyed": True,
                    "created_at": NOW, "updated_at": NOW + timedelta(seconds=2)}  # fmt: skip
    out = submit(store, published, "up")
    assert (out.rating, out.changed, out.created) == ("down", False, False)
    assert store.rating["rating"] == "down" and published.events == []


def test_the_rating_event_says_how_the_rated_persona_was_chosen():
    store, published = Store(), Published()
    store.turn = {**store.turn, "persona_source": "care"}
    assert rate(store, published, "down").data["persona_source"] == "care"


def test_the_rating_event_says_the_rated_turn_s_locale():
    """Which persona helps most by language: the rating carries its turn's request locale."""
    store, published = Store(), Published()
    assert rate(store, published, "up").data["locale"] is None  # a turn stored before it
    store.rating, store.turn = None, {**store.turn, "locale": "fr-FR"}
    assert rate(store, published, "down").data["locale"] == "fr-FR"


@pytest.mark.parametrize(("anonymized", "private"), [(False, True), (True, False)])
def test_a_first_rating_of_a_turn_logged_under_the_other_identity_is_private(anonymized, private):
    # The lifecycle review: it went out with its raw ids and labels, linking the identities.
    store, published = Store(), Published()
    store.turn = {**store.turn, "keyed": False}  # logged while the user anonymised
    store.anonymized = anonymized
    assert rate(store, published, "up").private is private and store.rating["keyed"] is False


@pytest.mark.parametrize("anonymized", [False, True])
def test_an_anonymous_rating_names_no_ab_variant(anonymized):
    # Anyone can recompute a variant from a user_key: on an anonymous row it would link the
    # row to the user's keyed ones (a 1 %/1 % test: 512 candidates among 50,000 keys).
    store, published = Store(), Published()
    ab = {"experiment": "ranker", "variant": "static", "control_variant": "static"}
    store.turn = {**store.turn, **ab, "keyed": not anonymized}
    store.anonymized = anonymized
    event = rate(store, published, "up")
    assert (event.user_key is None) is anonymized
    named = (event.data["experiment"], event.data["variant"])
    assert named == ((None, None) if anonymized else ("ranker", "static"))
