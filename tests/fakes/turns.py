"""Whole chat turns in memory: a session store, the event ports and the ranking, for unit tests
of the chat service that go as far as the stored turn and its events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from common.analysis import with_model
from common.chat import service
from common.chat.models import TurnCreate
from common.config import Settings
from common.ports import CommitOutcome, TurnContext
from common.replies import TemplateGenerator
from common.routing import ensemble

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


class MemoryStore:
    """Sessions in a dict; every commit succeeds at once (no concurrent turns here)."""

    def __init__(self) -> None:
        self.sessions: dict = {}

    def read_turn_context(self, *, session_id: str | None, **_) -> TurnContext:
        return TurnContext(keyed_turn=None, session=self.sessions.get(session_id))

    def commit_turn(self, *, session_id: str, build, context: TurnContext, **_) -> CommitOutcome:
        write = build(context)
        self.sessions[session_id] = write.state
        return CommitOutcome(turn_doc=write.turn_doc, events=write.events, replayed=False)


class Publisher:
    def __init__(self) -> None:
        self.events: list = []

    def publish(self, events) -> None:
        self.events.extend(events)


class Outbox:
    def delete_outbox(self, event_ids) -> None: ...

    def mark_due(self, event_ids, now) -> None: ...


def rank(*, analysis, convo, requested, seed, **_) -> ensemble.Ranking:
    """The ensemble alone, without a router or a personalization policy."""
    return ensemble.rank(
        analysis=analysis,
        router_scores={},
        router_reasons={},
        convo=convo,
        weights=ensemble.Weights(),
        requested=requested,
        seed=seed,
    )


def analyze_offline(text: str):
    """The analysis with no model configured: the baseline alone, nothing degraded."""
    return with_model.analyze(text, model=None)


def read_without_model(text: str):
    """The chat wiring's baseline reader where a model endpoint is configured (as the fakes'
    `analyze` stands for one): past the analysis caps the turn says the model is missing."""
    analysis, _ = analyze_offline(text)
    return analysis, [with_model.MODEL_DOWN]


def take_turn(
    *,
    uid: str,
    message: str,
    analyze,
    store: MemoryStore | None = None,
    publisher: Publisher | None = None,
    session_id: str | None = None,
    now: datetime = NOW,
) -> dict:
    """One turn through the service; its response."""
    response, _ = service.take_turn(
        uid=uid,
        body=TurnCreate(client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id),
        store=store or MemoryStore(),
        outbox=Outbox(),
        publisher=publisher or Publisher(),
        analyze=analyze,
        baseline=read_without_model,
        rank=rank,
        generator=TemplateGenerator(),
        fallback=TemplateGenerator(),
        settings=Settings(),
        now=now,
    )
    return response
