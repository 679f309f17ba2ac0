"""Whole chat turns in memory: a session store, the event ports and the ranking, for unit tests
of the chat service that go as far as the stored turn and its events."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from common.analysis import with_model
from common.chat import service
from common.chat.models import SessionOut, TurnCreate
from common.config import Settings
from common.ports import CommitOutcome, TurnContext
from common.replies import ReplyRequest, TemplateGenerator
from common.routing import ensemble

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


class RecordingGenerator:
    """A reply generator that keeps every request it is asked (what the service told it) and
    answers with its `reply`."""

    costly = False

    def __init__(self, reply: str = "a model's reply") -> None:
        self.asked: list[ReplyRequest] = []
        self.reply = reply

    def generate(self, req: ReplyRequest) -> str:
        self.asked.append(req)
        return self.reply

    def stream(self, req: ReplyRequest) -> Iterator[str]:
        yield self.generate(req)


class MemoryStore:
    """Sessions and idempotency keys in dicts. A session's commit succeeds at once; a key is
    kept as the adapter keeps it: a commit whose key changed since its context was read (a
    concurrent request with the same key stored first) reads again and replays that turn,
    and a stale key (its turn older than `replay_after`) is taken over."""

    def __init__(self, user: dict | None = None) -> None:
        self.sessions: dict = {}
        self.keys: dict[str, tuple[dict, int]] = {}  # key -> (its turn, its version)
        self._versions = itertools.count(1)
        self.user = user  # users/{uid} of whoever takes turns: None, no settings stored

    def read_turn_context(
        self, *, session_id: str | None, key: str = "", replay_after=None, **_
    ) -> TurnContext:
        keyed_turn, stale_key = None, None
        if key in self.keys:
            turn, version = self.keys[key]
            if replay_after is None or turn["created_at"] > replay_after:
                keyed_turn = turn
            else:
                stale_key = version
        return TurnContext(
            keyed_turn=keyed_turn,
            session=self.sessions.get(session_id),
            stale_key=stale_key,
            user=self.user,
        )

    def commit_turn(
        self, *, session_id: str, build, context: TurnContext, key: str = "", **kw
    ) -> CommitOutcome:
        if context.keyed_turn is None and self._version(key) != context.stale_key:
            context = self.read_turn_context(session_id=session_id, key=key, **kw)
        if context.keyed_turn is not None:
            return CommitOutcome(turn_doc=context.keyed_turn, events=[], replayed=True)
        write = build(context)
        self.sessions[session_id] = write.state
        self.keys[key] = (write.turn_doc, next(self._versions))
        return CommitOutcome(turn_doc=write.turn_doc, events=write.events, replayed=False)

    def _version(self, key: str) -> int | None:
        return self.keys[key][1] if key in self.keys else None


class ActivityStore(MemoryStore):
    """Also keeps each user's activity record (activity/{uid}) as the adapter does, so that the
    anomaly limits see the turns stored before. `meanwhile(uid)` runs before each commit: what
    another device's turns stored while this one was answered."""

    def __init__(self) -> None:
        super().__init__()
        self.activity: dict[str, dict] = {}
        self.meanwhile: Callable[[str], None] = lambda uid: None

    def read_turn_context(self, *, uid: str = "", **kw) -> TurnContext:
        context = super().read_turn_context(**kw)
        uid = uid or kw.get("key_doc", {}).get("owner_uid", "")  # MemoryStore's re-read at commit
        record = self.activity.get(uid)
        return replace(context, activity=record, activity_version=id(record) if record else None)

    def commit_turn(self, *, build, key_doc: dict, context: TurnContext, **kw) -> CommitOutcome:
        uid = key_doc["owner_uid"]
        self.meanwhile(uid)
        # The commit's precondition failed if the record changed: build on the one stored now.
        context = replace(context, activity=self.activity.get(uid))

        def keep(read: TurnContext):
            write = build(read)
            if write.activity is not None:
                self.activity[uid] = write.activity
            return write

        return super().commit_turn(build=keep, key_doc=key_doc, context=context, **kw)

    def record_anomaly(self, *, uid: str, activity: dict, events, version) -> bool:
        self.activity.setdefault(uid, {}).update(activity)
        return True


class Sink:
    """A streamed reply as the client would have it: the tokens since the last reset."""

    def __init__(self) -> None:
        self.tokens: list[str] = []

    def token(self, text: str) -> None:
        self.tokens.append(text)

    def reset(self) -> None:
        self.tokens.clear()


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


def turn_ports(store: Any, **overrides: Any) -> dict[str, Any]:
    """take_turn's ports (what functions/chat's turn_ports gives it) over `store`: the
    offline analysis, the test ranking and template replies, unless `overrides` says otherwise."""
    return {
        "store": store,
        "outbox": Outbox(),
        "publisher": Publisher(),
        "analyze": analyze_offline,
        "baseline": read_without_model,
        "rank": rank,
        "generator": TemplateGenerator(),
        "fallback": TemplateGenerator(),
        "settings": Settings(),
        **overrides,
    }


def take_turn(
    *,
    uid: str,
    message: str,
    analyze,
    store: MemoryStore | None = None,
    publisher: Publisher | None = None,
    session_id: str | None = None,
    now: datetime = NOW,
    locale: str | None = None,
    persona: str | None = None,
) -> dict:
    """One turn through the service (`persona`: the one the user asks for); its response."""
    body = TurnCreate(
        client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id, persona=persona
    )
    response, _ = service.take_turn(
        uid=uid,
        body=body,
        **turn_ports(store or MemoryStore(), publisher=publisher or Publisher(), analyze=analyze),
        now=now,
        locale=locale,
    )
    return response


def session_out(session_id: str) -> SessionOut:
    """A stored session as GET /v2/sessions/{id} answers it: one turn, Riri's."""
    return SessionOut(
        session_id=session_id,
        context_window=[],
        summary="",
        current_persona="riri",
        turn_count=1,
        expires_at=datetime(2026, 11, 23, 9, 15, 2, tzinfo=UTC),
    )
