"""Feedback on a turn the user owns: the last rating stands and counts once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from common.config import Settings
from common.errors import Conflict, NotFound
from common.events import Event, EventPublisher, keyless, user_key
from common.feedback.models import FeedbackCreate, FeedbackOut
from common.outbox import deliver_now
from common.personalization.preferences import explicit_reward
from common.ports import OutboxStore, WriteConflict
from common.profile.erasure import refuse_while_erasing
from common.sessions.state import SessionState


@dataclass(frozen=True)
class FeedbackContext:
    turn: dict | None
    session: SessionState | None
    existing: dict | None
    version: object = None
    anonymized: bool = False  # the user chose to keep their key out of analytics
    activity: dict | None = None  # the user's activity record: their erasure's mark, if running


class FeedbackStore(Protocol):
    def read_feedback_context(
        self, *, key: str, uid: str, session_id: str, turn_id: str
    ) -> FeedbackContext: ...

    def write_feedback(
        self, *, key: str, doc: dict, events: list[Event], context: FeedbackContext
    ) -> None: ...


MAX_ATTEMPTS = 3


def feedback_key(uid: str, turn_id: str) -> str:
    return hashlib.sha256(f"{uid}\x00{turn_id}".encode()).hexdigest()


def submit_feedback(
    *,
    uid: str,
    body: FeedbackCreate,
    store: FeedbackStore,
    outbox: OutboxStore,
    publisher: EventPublisher,
    settings: Settings,
    now: datetime,
) -> FeedbackOut:
    key = feedback_key(uid, body.turn_id)
    for _ in range(MAX_ATTEMPTS):
        try:
            return _submit_once(
                uid=uid,
                key=key,
                body=body,
                store=store,
                outbox=outbox,
                publisher=publisher,
                settings=settings,
                now=now,
            )
        except WriteConflict:
            continue  # a concurrent rating of the same turn: decide again on what it wrote
    raise Conflict("This turn is being rated elsewhere; try again.", code="feedback_busy")


def _submit_once(
    *,
    uid: str,
    key: str,
    body: FeedbackCreate,
    store: FeedbackStore,
    outbox: OutboxStore,
    publisher: EventPublisher,
    settings: Settings,
    now: datetime,
) -> FeedbackOut:
    ctx = store.read_feedback_context(
        key=key, uid=uid, session_id=body.session_id, turn_id=body.turn_id
    )
    # As for a turn: while the user's erasure runs, a rating of a turn it has not deleted yet
    # would be stored, and its event learned from once preferences/{user_key} was deleted.
    refuse_while_erasing(ctx.activity)
    turn = ctx.turn
    if (
        turn is None
        or turn.get("owner_uid") != uid
        or ctx.session is None
        or not ctx.session.visible_to(uid, now)
    ):
        raise NotFound("There is no such turn in your conversations.", code="turn_not_found")
    reward = explicit_reward(body.rating)
    # The rating document expires with the session as it was when rated; the session may live
    # on (each turn extends it), so the turn keeps its last rating too, and a rating after the
    # document expired still replaces the old one instead of counting again.
    existing = ctx.existing or turn.get("feedback")
    if existing and existing.get("updated_at") and existing["updated_at"] > now:
        # Rated meanwhile by a request that came later (another device): the later rating
        # stands in Firestore, the profile and analytics alike, which order ratings by time.
        return FeedbackOut(
            turn_id=body.turn_id,
            session_id=body.session_id,
            rating=existing["rating"],
            reward=existing["reward"],
            created=False,
            changed=False,
        )
    out = FeedbackOut(
        turn_id=body.turn_id,
        session_id=body.session_id,
        rating=body.rating,
        reward=reward,
        created=existing is None,
        changed=existing is None
        or existing["rating"] != body.rating
        or existing.get("comment") != body.comment,
    )
    if not out.changed:
        return out
    doc = {
        "owner_uid": uid,
        "turn_id": body.turn_id,
        "session_id": body.session_id,
        "persona": turn["persona"],
        "rating": body.rating,
        "reward": reward,
        "comment": body.comment,
        "created_at": existing["created_at"] if existing else now,
        "updated_at": now,
        "expires_at": ctx.session.expires_at,
    }
    # The rating's analytics row names its turn by the raw id when its user was keyed, by an
    # anonymous id when not. A rating changed after the user switched between the two would
    # land under the other id and count twice, and a withdrawal of the old row would link the
    # two ids. So such a rating reaches the profile updater only, and analytics keeps the one
    # it has (`private`); a rating from before this field was stored counts as keyed. A first
    # rating goes under the identity its turn's row went out under (the turn's `keyed`), and
    # is private when that is not the user's now: it would join nothing, and link the two.
    if existing is not None:
        keyed = existing.get("keyed", True)
    else:
        keyed = turn.get("keyed", not ctx.anonymized)
    private = keyed == ctx.anonymized  # the row analytics has is under the other identity
    doc["keyed"] = keyed
    hmac_key = settings.analytics_hmac_key()
    ukey = user_key(uid, hmac_key)
    event = Event(
        type="feedback.submitted",
        occurred_at=now,
        user_key=None if ctx.anonymized else ukey,
        subject=ukey,
        session_id=body.session_id,
        data={
            "turn_id": body.turn_id,
            "turn_index": turn["turn_index"],
            "persona": turn["persona"],
            "rating": body.rating,
            "reward": reward,
            # The profile updater takes the old rating back out: the last rating counts, once.
            "previous_reward": existing["reward"] if existing else None,
            # The kind of message rated, for preferences that depend on it.
            "tone": turn.get("tone"),
            "intent": turn.get("intent"),
            # A crisis turn's reply is the safety message, written by no persona; a turn in
            # care ("care") was given the calm persona whatever the user prefers.
            "crisis": bool(turn.get("crisis")),
            "persona_source": turn.get("persona_source"),
            # The rated turn's request locale; None for turns stored before it was kept.
            "locale": turn.get("locale"),
            "has_comment": bool(body.comment),
            # The A/B variant the rated turn was shown under (stored with the turn); none on
            # an anonymous row, which it would link to the user's keyed ones (a variant is
            # recomputable from a user_key: common/chat/service.py).
            "experiment": None if ctx.anonymized else turn.get("experiment"),
            "variant": None if ctx.anonymized else turn.get("variant"),
        },
        private=private,
    )
    event = keyless(event, hmac_key)  # an anonymised user's: anonymous session and turn ids
    store.write_feedback(key=key, doc=doc, events=[event], context=ctx)
    deliver_now([event], publisher=publisher, outbox=outbox, now=now)
    return out
