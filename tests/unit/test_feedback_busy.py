"""A rating whose write finds the turn's rating changed since it was read (another device rated
it meanwhile) is decided again on what is stored now: a few times, then 409 feedback_busy; and a
turn deleted meanwhile is a 404, as if it had never been there."""

from __future__ import annotations

import pytest

from common.errors import Conflict, NotFound
from common.feedback.service import MAX_ATTEMPTS, FeedbackContext
from common.ports import WriteConflict
from tests.unit.test_feedback_analytics_identity import Published, Store, submit


class Contended(Store):
    """The turn's rating document changes under the first `conflicts` writes (Firestore
    refuses their precondition); `deleted` deletes the turn with the first conflict."""

    def __init__(self, conflicts: int, deleted: bool = False) -> None:
        super().__init__()
        self.conflicts, self.deleted = conflicts, deleted
        self.reads = self.writes = 0

    def read_feedback_context(self, **kw) -> FeedbackContext:
        self.reads += 1
        return super().read_feedback_context(**kw)

    def write_feedback(self, **kw) -> None:
        self.writes += 1
        if self.writes <= self.conflicts:
            if self.deleted:
                self.turn = None  # the session's cleanup (or the user's DELETE) came between
            raise WriteConflict
        super().write_feedback(**kw)


def test_a_rating_that_always_loses_the_race_is_a_409_feedback_busy() -> None:
    store, published = Contended(conflicts=MAX_ATTEMPTS), Published()
    with pytest.raises(Conflict) as busy:
        submit(store, published, "up")
    assert (busy.value.status, busy.value.code) == (409, "feedback_busy")
    assert store.writes == store.reads == MAX_ATTEMPTS  # read again before each attempt
    assert store.rating is None and published.events == []


def test_a_rating_that_loses_one_race_is_stored_on_the_next_attempt() -> None:
    store, published = Contended(conflicts=1), Published()
    out = submit(store, published, "up")
    assert out.created is True and store.writes == 2
    assert store.rating is not None and store.rating["rating"] == "up"
    assert [e.type for e in published.events] == ["feedback.submitted"]  # once


def test_a_turn_deleted_while_it_was_rated_is_a_404() -> None:
    store, published = Contended(conflicts=1, deleted=True), Published()
    with pytest.raises(NotFound) as gone:
        submit(store, published, "up")
    assert (gone.value.status, gone.value.code) == (404, "turn_not_found")
    assert store.writes == 1 and store.reads == 2
    assert published.events == []
