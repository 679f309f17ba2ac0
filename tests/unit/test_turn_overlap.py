"""A turn reads its stored context while the message is analysed, and a replay does not wait
for the analysis."""

import threading
from datetime import UTC, datetime

import pytest

from common.analysis.baseline import analyze_baseline
from common.chat import service
from common.chat.models import TurnCreate
from common.config import Settings
from common.ports import TurnContext

WAIT = 5.0  # seconds; only reached when the test fails


class Ranked(Exception):
    """Raised by the fake ranking: the turn got past its context and analysis."""


def _turn(store, analyze) -> tuple[dict, bool]:
    def rank(**_):
        raise Ranked

    return service.take_turn(
        uid="u1",
        body=TurnCreate(client_turn_id="c-1", message="should I take the offer?"),
        store=store,
        outbox=None,
        publisher=None,
        analyze=analyze,
        rank=rank,
        generator=None,
        fallback=None,
        settings=Settings(),
        now=datetime(2026, 12, 2, 12, tzinfo=UTC),
    )


class Store:
    def __init__(self, analysing: threading.Event, keyed_turn: dict | None = None) -> None:
        self.analysing = analysing
        self.keyed_turn = keyed_turn
        self.saw_analysis_running = False

    def read_turn_context(self, **_) -> TurnContext:
        self.saw_analysis_running = self.analysing.wait(WAIT)
        return TurnContext(keyed_turn=self.keyed_turn, session=None)


def test_the_analysis_runs_while_the_context_is_read():
    analysing = threading.Event()
    store = Store(analysing)

    def analyze(text: str):
        analysing.set()
        return analyze_baseline(text), []

    with pytest.raises(Ranked):
        _turn(store, analyze)
    assert store.saw_analysis_running


def test_a_replay_answers_without_waiting_for_the_analysis():
    analysing, release, finished = threading.Event(), threading.Event(), threading.Event()
    fingerprint = service._fingerprint(
        TurnCreate(client_turn_id="c-1", message="should I take the offer?")
    )
    stored = {"fingerprint": fingerprint, "response": {"reply": "stored"}}
    store = Store(analysing, keyed_turn=stored)

    def analyze(text: str):  # a model that hangs until the test ends
        analysing.set()
        release.wait(WAIT)
        finished.set()
        return analyze_baseline(text), []

    try:
        assert _turn(store, analyze) == ({"reply": "stored"}, True)
        assert not finished.is_set()  # answered while the analysis still hung
    finally:
        release.set()
