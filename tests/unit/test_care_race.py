"""Two devices, one session: phone B's ordinary turn is answered while phone A's crisis turn
commits. B's commit finds the session changed and is stored after A's, inside the care window,
so it is answered again with care, as it would have been a moment later (the concurrency
review: it was stored with the planning reply it had been given before A's crisis)."""

from __future__ import annotations

import uuid

import pytest

from common.chat import service
from common.chat.models import TurnCreate
from common.config import Settings
from common.replies import GenerationError, TemplateGenerator
from common.safety import CARE_JUST_AFTER
from tests.fakes.turns import (
    NOW,
    MemoryStore,
    Outbox,
    Publisher,
    rank,
    read_without_model,
    take_turn,
    turn_ports,
)
from tests.fakes.turns import analyze_offline as offline


class RacingStore(MemoryStore):
    """Before the next commit, another turn runs and commits whole (that commit's read is
    stale, and it reads again as the adapter does when its precondition fails)."""

    def __init__(self) -> None:
        super().__init__()
        self.meanwhile = None

    def commit_turn(self, *, session_id, build, context, **kw):
        if self.meanwhile:
            other, self.meanwhile = self.meanwhile, None
            other()
            context = self.read_turn_context(session_id=session_id)
        return super().commit_turn(session_id=session_id, build=build, context=context, **kw)


def test_a_turn_stored_after_a_crisis_from_another_device_is_answered_with_care() -> None:
    store = RacingStore()
    sid = take_turn(
        uid="u1", message="I need help planning my study week", analyze=offline, store=store
    )["session_id"]
    crisis = {}
    store.meanwhile = lambda: crisis.update(
        take_turn(
            uid="u1",
            message="I want to kill myself",
            analyze=offline,
            store=store,
            session_id=sid,
        )
    )

    later = take_turn(
        uid="u1",
        message="ok, what should I do first on monday?",
        analyze=offline,
        store=store,
        session_id=sid,
    )

    assert crisis["safety"]["crisis"] is True and crisis["turn_index"] == 1
    assert later["turn_index"] == 2
    assert later["persona"]["reasons"] == ["Staying gentle after what you shared."]
    stored = store.sessions[sid].window[-1]
    assert stored.reply == later["reply"] and stored.reply.startswith(CARE_JUST_AFTER)


class _Recording:
    """A ReplySink that keeps everything the client was sent, resets included."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def token(self, text: str) -> None:
        self.events.append(("token", text))

    def reset(self) -> None:
        self.events.append(("reset", ""))


def test_a_streamed_turn_answered_again_with_care_tells_the_client_to_drop_what_it_showed() -> None:
    # Without the reset the client would show the planning reply and the care reply run together,
    # while the stored turn holds the care reply alone.
    store = RacingStore()
    sid = take_turn(
        uid="u1", message="I need help planning my study week", analyze=offline, store=store
    )["session_id"]
    store.meanwhile = lambda: take_turn(
        uid="u1", message="I want to kill myself", analyze=offline, store=store, session_id=sid
    )
    sink = _Recording()
    body = TurnCreate(
        client_turn_id=uuid.uuid4().hex,
        message="ok, what should I do first on monday?",
        session_id=sid,
        stream=True,
    )
    response, _ = service.take_turn(uid="u1", body=body, **turn_ports(store), now=NOW, sink=sink)

    kinds = [kind for kind, _ in sink.events]
    assert "reset" in kinds
    last_reset = len(kinds) - 1 - kinds[::-1].index("reset")
    assert "token" in kinds[:last_reset]  # the first answer was streamed before the race was lost
    shown = "".join(text for kind, text in sink.events[last_reset + 1 :] if kind == "token")
    assert shown == response["reply"] and shown.startswith(CARE_JUST_AFTER)
    assert store.sessions[sid].window[-1].reply == shown


class _Flaky(TemplateGenerator):
    """The reply generator, failing on the calls numbered in `failing` (1 is the first)."""

    def __init__(self, failing: set[int]) -> None:
        super().__init__()
        self.calls, self.failing = 0, failing

    def generate(self, request):
        self.calls += 1
        if self.calls in self.failing:
            raise GenerationError("Gemini timed out after 8s (ReadTimeout)")
        return super().generate(request)


def _answered_during_a_crisis(store: RacingStore, generator, publisher: Publisher) -> dict:
    """An ordinary turn, answered by `generator` while a crisis turn of the same session
    commits from another device; its response."""
    sid = take_turn(
        uid="u1", message="I need help planning my study week", analyze=offline, store=store
    )["session_id"]
    store.meanwhile = lambda: take_turn(
        uid="u1", message="I want to kill myself", analyze=offline, store=store, session_id=sid
    )
    response, _ = service.take_turn(
        uid="u1",
        body=TurnCreate(
            client_turn_id=uuid.uuid4().hex,
            message="ok, what should I do first on monday?",
            session_id=sid,
        ),
        store=store,
        outbox=Outbox(),
        publisher=publisher,
        analyze=offline,
        baseline=read_without_model,
        rank=rank,
        generator=generator,
        fallback=TemplateGenerator(),
        settings=Settings(),
        now=NOW,
    )
    return response


@pytest.mark.parametrize(
    ("failing", "degraded", "generator"),
    [({1}, [], "_Flaky"), ({1, 2}, ["reply_generator"], "TemplateGenerator")],
    ids=["first_answer_failed", "both_failed"],
)
def test_a_turn_answered_again_reports_what_failed_in_the_answer_it_keeps(
    failing, degraded, generator
) -> None:
    # The answers shared one list: reply_generator was reported for a reply the generator
    # wrote, or twice, in the response and in the turn's analytics event.
    store, publisher = RacingStore(), Publisher()
    flaky = _Flaky(failing)
    response = _answered_during_a_crisis(store, flaky, publisher)
    assert flaky.calls == 2  # answered again, with care
    assert response["degraded"] == degraded
    (turn,) = [e for e in publisher.events if e.type == "chat.turn.completed"]
    assert turn.data["degraded"] == degraded and turn.data["generator"] == generator


class RetryingStore(RacingStore):
    """A RacingStore whose first write after the other turn fails its precondition (another of
    the user's writes came between), so build runs twice on the session in care, as the
    Firestore adapter calls it on each retry."""

    def commit_turn(self, *, session_id, build, context, **kw):
        if self.meanwhile:
            other, self.meanwhile = self.meanwhile, None
            other()
            build(self.read_turn_context(session_id=session_id))  # its write is refused
            context = self.read_turn_context(session_id=session_id)
        return MemoryStore.commit_turn(
            self, session_id=session_id, build=build, context=context, **kw
        )


def test_a_turn_answered_again_is_answered_once_however_often_its_commit_is_retried() -> None:
    store = RetryingStore()
    counting = _Flaky(failing=set())
    response = _answered_during_a_crisis(store, counting, Publisher())
    assert counting.calls == 2  # the first answer, and once again with care: not per retry
    stored = store.sessions[response["session_id"]].window[-1]
    assert stored.reply == response["reply"] and stored.reply.startswith(CARE_JUST_AFTER)
