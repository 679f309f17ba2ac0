"""A turn reads its stored context while the message is analysed, a replay does not wait for
the analysis, and turns that end early cannot pile analyses up."""

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from common.analysis.baseline import analyze_baseline
from common.chat import service
from common.chat.models import TurnCreate
from common.config import Settings
from common.errors import NotFound, RateLimited
from common.ports import TurnContext
from common.replies import TemplateGenerator
from tests.fakes import turns

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
        baseline=turns.read_without_model,
        rank=rank,
        generator=TemplateGenerator(),
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


# Turns that end before they need their analysis (a session that is not there) leave it running:
# past the caps a turn reads the baseline alone instead of queueing more model calls.

GONE = "0" * 32  # a well-formed session id that names no session
MODEL = "model-v1"


class HangingModel:
    """A model whose analyses of messages starting with "hang" wait until the test ends."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.read: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, text: str):
        with self._lock:
            self.read.append(text)
        if text.startswith("hang"):
            self.release.wait(WAIT)
        return replace(analyze_baseline(text), source=MODEL), []

    def started(self, count: int) -> bool:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.read) >= count:
                    return True
            time.sleep(0.01)
        return False


def _full_turn(uid: str, message: str, model: HangingModel, session_id: str | None = None) -> dict:
    return turns.take_turn(uid=uid, message=message, analyze=model, session_id=session_id)


@pytest.fixture
def slots(monkeypatch):
    def caps(total: int, per_user: int) -> None:
        monkeypatch.setattr(service, "_SLOTS", service._Slots(total, per_user))

    caps(service.ANALYSES_MAX, service.ANALYSES_PER_USER)
    return caps


def test_turns_to_a_missing_session_cannot_keep_the_model_busy_for_others(slots):
    model = HangingModel()
    try:
        for i in range(6):  # quick 404s, each leaving its analysis running
            with pytest.raises(NotFound):
                _full_turn("u1", f"hang {i}", model, session_id=GONE)
        assert model.started(service.ANALYSES_PER_USER)
        # While they hang, this user's next turn is answered by the baseline...
        mine = _full_turn("u1", "should I take the offer?", model)
        assert mine["degraded"] == ["persona_model"]
        # ...and another user's turn by the model, as usual.
        theirs = _full_turn("u2", "should I take the offer?", model)
        assert theirs["degraded"] == []
        # Only the first refused turns' messages ever reached the model.
        hung = [f"hang {i}" for i in range(service.ANALYSES_PER_USER)]
        assert sorted(model.read) == [*hung, "should I take the offer?"]
    finally:
        model.release.set()


def test_past_the_instance_cap_every_user_reads_the_baseline_until_a_slot_frees(slots):
    slots(2, 1)
    model = HangingModel()
    try:
        for uid in ("u1", "u2"):
            with pytest.raises(NotFound):
                _full_turn(uid, f"hang {uid}", model, session_id=GONE)
        assert model.started(2)
        assert _full_turn("u3", "hello", model)["degraded"] == ["persona_model"]
    finally:
        model.release.set()
    deadline = time.monotonic() + WAIT  # once the hung analyses end, the model reads again
    while _full_turn("u3", "hello", model)["degraded"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert time.monotonic() < deadline


@pytest.mark.parametrize(("configured", "degraded"), [(False, []), (True, ["persona_model"])])
def test_a_turn_past_the_caps_is_degraded_only_where_a_model_would_have_read_it(
    monkeypatch, configured, degraded
):
    from common import clients
    from common.chat import wiring

    monkeypatch.setattr(clients, "persona_model", lambda: object() if configured else None)
    analysis, said = wiring.read_without_model("should I take the offer?")
    assert said == degraded
    assert analysis.source == analyze_baseline("should I take the offer?").source


def test_a_users_turns_past_the_in_flight_cap_are_refused_before_any_work():
    """A script's burst of simultaneous turns: each would pass the limits (they count committed
    turns) and generate a reply; past TURNS_PER_USER the rest are refused at once."""
    release, entered = threading.Event(), threading.Semaphore(0)
    analysed: list[str] = []

    class SlowStore(turns.MemoryStore):
        def read_turn_context(self, *, uid: str, **kw) -> TurnContext:
            if uid == "u1":
                entered.release()
                release.wait(WAIT)
            return super().read_turn_context(uid=uid, **kw)

    def analyze(text: str):
        analysed.append(text)
        return analyze_baseline(text), []

    store = SlowStore()

    def turn(uid: str, message: str) -> dict:
        return turns.take_turn(uid=uid, message=message, analyze=analyze, store=store)

    running = [
        threading.Thread(target=turn, args=("u1", f"in flight {i}"))
        for i in range(service.TURNS_PER_USER)
    ]
    try:
        for t in running:
            t.start()
        assert all(entered.acquire(timeout=WAIT) for _ in running)
        with pytest.raises(RateLimited) as refused:
            turn("u1", "one too many")
        assert refused.value.retry_after == 1
        assert "one too many" not in analysed  # refused before the model was asked
        assert turn("u2", "should I take the offer?")["reply"]  # other users are not held up
        # ...but never a message in crisis (the care review): it gets past the cap.
        crisis: dict = {}
        said = threading.Thread(target=lambda: crisis.update(turn("u1", "i want to kill myself")))
        running.append(said)
        said.start()
        assert entered.acquire(timeout=WAIT)  # at its context read, past the cap
    finally:
        release.set()
        for t in running:
            t.join(WAIT)
    assert crisis["safety"]["crisis"] is True
    assert turn("u1", "and now?")["reply"]  # the slots are given back


@pytest.mark.parametrize(
    "message", ["I don't want to live anymore", "I don´t want to live anymore"]
)
def test_a_crisis_past_the_in_flight_cap_is_answered_however_its_apostrophe_is_typed(
    monkeypatch, message
):
    # The cap lets a message through when the crisis patterns flag it as written: with ´
    # (U+00B4) for ' they read "don t" and the crisis got a 429 (the i18n review).
    monkeypatch.setattr(service, "_TURNS", service._Slots(float("inf"), service.TURNS_PER_USER))
    for _ in range(service.TURNS_PER_USER):
        assert service._TURNS.take("u1")
    answered = turns.take_turn(uid="u1", message=message, analyze=turns.analyze_offline)
    assert answered["safety"]["crisis"] is True
