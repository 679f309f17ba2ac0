"""A crisis turn is answered with the fixed safety message and never asks the reply generator
(with Gemini configured, a model would otherwise write the crisis reply). The template
generator has a crisis branch of its own, so tests that use it cannot tell; this one asks a
generator that writes something else. tests/integration/test_chat_function_inprocess.py checks
the same through the chat function with a fake Gemini."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from common.analysis.baseline import analyze_baseline
from common.chat import service
from common.chat.models import TurnCreate
from common.config import Settings
from common.replies import ReplyRequest, TemplateGenerator
from common.safety import crisis_reply, resources_for
from tests.fakes import turns
from tests.fakes.analysis import make_analysis

CRISIS = "I'm going to kill myself"
MODEL_TEXT = "a model's reply"


class Model:
    """A reply generator that records what it is asked."""

    costly = False  # tests/unit/test_turn_reservation.py: what a costly one does first

    def __init__(self) -> None:
        self.asked: list[str] = []

    def generate(self, req: ReplyRequest) -> str:
        self.asked.append(req.message)
        return MODEL_TEXT

    def stream(self, req: ReplyRequest) -> Iterator[str]:
        self.asked.append(req.message)
        yield MODEL_TEXT


def analyze(text: str):
    return (make_analysis(crisis=True) if text == CRISIS else analyze_baseline(text)), []


def _turn(
    message: str, model: Model, sink: turns.Sink | None, session_id: str | None = None
) -> dict:
    body = TurnCreate(client_turn_id=uuid.uuid4().hex, message=message, session_id=session_id)
    response, _ = service.take_turn(
        uid="u1",
        body=body,
        store=turns.MemoryStore(),
        outbox=turns.Outbox(),
        publisher=turns.Publisher(),
        analyze=analyze,
        baseline=turns.read_without_model,
        rank=turns.rank,
        generator=model,
        fallback=TemplateGenerator(),
        settings=Settings(),
        now=turns.NOW,
        sink=sink,
    )
    return response


@pytest.mark.parametrize("streamed", [False, True])
def test_a_crisis_gets_the_fixed_safety_message_and_the_model_is_not_asked(streamed) -> None:
    model = Model()
    sink = turns.Sink() if streamed else None
    assert _turn("how do I prepare for a salary talk?", model, sink)["reply"] == MODEL_TEXT
    assert len(model.asked) == 1  # the model writes ordinary replies
    if sink:
        sink.tokens.clear()

    response = _turn(CRISIS, model, sink)

    reply = crisis_reply(resources_for(None, default_locale=Settings().safety_default_locale))
    assert response["safety"]["crisis"] is True
    assert response["reply"] == reply
    assert len(model.asked) == 1
    if sink:
        assert sink.tokens == [reply]  # streamed too, in one piece
