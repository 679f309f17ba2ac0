"""A reply that costs money (Gemini) is made only for a turn the limits let through with the
user's other turns in flight counted: the turn takes its place in the activity record before
the reply is asked for (common/chat/service.py, reserve), and the commit counts that place as
the turn's. Over Firestore's RPCs (tests/fakes/firestore_rpc.py) and the real adapter.

The abuse review: 60 turns of one user sent at once across instances each passed the limits
(which counted only committed turns) and each had Gemini write a reply; one was stored."""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from common.adapters.firestore_sessions import FirestoreSessionStore
from common.chat import service
from common.chat.limits import SALT, activity_doc, message_hash, unsalted_hash
from common.chat.models import TurnCreate
from common.config import Settings
from common.errors import ApiError, Conflict, RateLimited
from common.profile.erasure import ERASURE_DONE
from common.replies import TemplateGenerator
from tests.fakes import turns
from tests.fakes.firestore_rpc import FirestoreRpc

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
UID = "u1"
ACTIVITY = f"activity/{UID}"
WAIT = 10.0  # seconds; only reached when the test fails


class Billed:
    """A reply generator that costs money, counting the replies it is asked for."""

    costly = True

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def generate(self, req) -> str:
        with self._lock:
            self.calls += 1
        return "A reply somebody paid for."

    def stream(self, req):
        yield self.generate(req)


class Sink:
    def token(self, text: str) -> None: ...

    def reset(self) -> None: ...


@pytest.fixture(autouse=True)
def instances(monkeypatch):
    """Twenty instances, each letting a user have TURNS_PER_USER turns in flight: the cap is
    per instance, so it does not bound one user's turns in all."""
    monkeypatch.setattr(
        service, "_TURNS", service._Slots(float("inf"), 20 * service.TURNS_PER_USER)
    )


def _turn(rpc: FirestoreRpc, generator, message: str, *, stream: bool = False) -> dict:
    store = FirestoreSessionStore(rpc.client, settings=Settings())
    response, _ = service.take_turn(
        uid=UID,
        body=TurnCreate(client_turn_id=uuid.uuid4().hex, message=message, stream=stream),
        **turns.turn_ports(store, outbox=store, generator=generator),
        now=NOW,
        sink=Sink() if stream else None,
    )
    return response


def _at_once(rpc: FirestoreRpc, generator, count: int, *, stream: bool = False) -> Counter:
    """`count` turns of the user sent together; how they ended."""
    outcomes: Counter = Counter()
    lock, start = threading.Lock(), threading.Barrier(count)

    def one(i: int) -> None:
        start.wait(WAIT)
        try:
            _turn(rpc, generator, f"message number {i}", stream=stream)
            ended = "stored"
        except RateLimited:
            ended = "429"
        except ApiError as e:  # 503 session_busy: lost too many races to the record
            ended = str(e.status)
        with lock:
            outcomes[ended] += 1

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    return outcomes


def _earlier(count: int, *, last_at: timedelta) -> dict:
    """The activity record of `count` turns, the latest `last_at` before NOW, a second apart."""
    times = [NOW - last_at - timedelta(seconds=i) for i in range(count)]
    return activity_doc(
        [(t, unsalted_hash(f"earlier {i}")) for i, t in enumerate(times)], limited_until=None
    )


def _recent(rpc: FirestoreRpc) -> list:
    return json.loads(rpc.docs[ACTIVITY]["recent"])


def _hash(rpc: FirestoreRpc, message: str) -> str:
    """`message`'s hash as the record stores it: keyed with the record's own salt."""
    return message_hash(message, rpc.docs[ACTIVITY][SALT])


@pytest.mark.parametrize("stream", [False, True])
def test_turns_sent_at_once_at_the_hour_limit_pay_for_one_reply(stream):
    # One turn fewer than the hour's limit (none in its last 10 minutes): one more is allowed.
    limit = Settings().anomaly_burst_hour_max
    rpc = FirestoreRpc({ACTIVITY: _earlier(limit - 1, last_at=timedelta(minutes=10))})
    billed = Billed()
    assert _at_once(rpc, billed, 12, stream=stream) == {"stored": 1, "429": 11}
    assert billed.calls == 1
    assert rpc.stored_turns() == 1
    assert len(_recent(rpc)) == limit  # the stored turn counted once, where it was reserved


def test_turns_sent_at_once_pay_for_no_more_replies_than_the_minute_allows():
    rpc = FirestoreRpc()
    billed = Billed()
    outcomes = _at_once(rpc, billed, 16)
    allowed = Settings().anomaly_burst_minute_max
    assert sum(outcomes.values()) == 16
    assert 1 <= outcomes["stored"] == rpc.stored_turns() <= billed.calls <= allowed


def test_the_commit_counts_the_reserved_place_as_the_turn_not_as_another():
    # Two turns short of the minute's limit; this one reserves the next place. Before it
    # commits, another device's turn takes the last: the commit reads the record again and
    # judges again, and must see the limit's turns, not one more.
    minute = Settings().anomaly_burst_minute_max
    rpc = FirestoreRpc({ACTIVITY: _earlier(minute - 2, last_at=timedelta(seconds=5))})
    billed, landed = Billed(), []

    def another_device(writes) -> None:
        if any("/turns/" in (w.update.name or "") for w in writes):  # this turn's commit
            landed.append(True)
            recent = [*_recent(rpc), [NOW.isoformat(), _hash(rpc, "from the tablet")]]
            rpc.put(ACTIVITY, {**rpc.docs[ACTIVITY], "recent": json.dumps(recent)})
            rpc.before_commit = lambda writes: None

    rpc.before_commit = another_device
    assert _turn(rpc, billed, "should I take the offer?")["reply"]
    assert landed and billed.calls == 1
    assert len(_recent(rpc)) == minute
    assert [h for _, h in _recent(rpc)].count(_hash(rpc, "should I take the offer?")) == 1


def test_a_reserved_turn_is_one_entry_and_the_next_past_the_limit_is_refused_unpaid():
    minute = Settings().anomaly_burst_minute_max
    rpc = FirestoreRpc({ACTIVITY: _earlier(minute - 1, last_at=timedelta(seconds=5))})
    billed = Billed()
    assert _turn(rpc, billed, "the last of this minute")["reply"]
    assert len(_recent(rpc)) == minute
    with pytest.raises(RateLimited):
        _turn(rpc, billed, "one past it")
    assert billed.calls == 1


def test_a_reserved_turn_that_fails_still_counts_as_an_attempt():
    class Broken(Billed):
        def generate(self, req) -> str:
            super().generate(req)
            raise RuntimeError("a bug after the reply was paid for")

    rpc = FirestoreRpc()
    with pytest.raises(RuntimeError):
        _turn(rpc, Broken(), "hello")
    assert [h for _, h in _recent(rpc)] == [_hash(rpc, "hello")]
    assert rpc.stored_turns() == 0


def test_a_turn_of_a_user_erased_since_it_was_sent_is_refused_before_its_reply_is_paid_for():
    rpc = FirestoreRpc({ACTIVITY: {ERASURE_DONE: NOW + timedelta(seconds=1)}})
    billed = Billed()
    with pytest.raises(Conflict) as refused:
        _turn(rpc, billed, "hello")
    assert refused.value.code == "profile_erased"
    assert billed.calls == 0
    assert "recent" not in rpc.docs[ACTIVITY]


def test_a_turn_answered_by_the_templates_pays_no_extra_round_trip():
    # The template generator costs nothing: its turn is one read and one commit (and the
    # outbox entries' removal once published), as before reservations.
    rpc = FirestoreRpc({ACTIVITY: _earlier(3, last_at=timedelta(seconds=5))})
    assert _turn(rpc, TemplateGenerator(), "should I take the offer?")["reply"]
    assert rpc.calls == {"batch_get_documents": 1, "commit": 2}
    assert len(rpc.written("activity/")) == 1
    assert len(_recent(rpc)) == 4


def test_every_reply_generator_says_whether_it_costs_money():
    from common.replies import GeminiGenerator

    assert TemplateGenerator.costly is False
    assert GeminiGenerator.costly is True


@pytest.mark.parametrize("earlier", [0, 3])
def test_a_reservation_whose_answer_was_lost_is_still_one_entry(earlier):
    # The reservation is applied but its answer lost (UNAVAILABLE): the client library's retry
    # is refused by the reservation itself (the record exists now, or changed), so the turn
    # reads the record again and finds its own entry there. That entry is the turn's (it was
    # sent, so perhaps applied): counted as another turn, the record would hold two.
    rpc = FirestoreRpc(
        {ACTIVITY: _earlier(earlier, last_at=timedelta(seconds=5))} if earlier else {}
    )
    lost = rpc.first_answer_lost()
    billed = Billed()
    message = "hello there, a new message"
    assert _turn(rpc, billed, message)["reply"]
    assert len(lost) == 1 and billed.calls == 1 and rpc.stored_turns() == 1
    assert [h for _, h in _recent(rpc)].count(_hash(rpc, message)) == 1
    assert len(_recent(rpc)) == earlier + 1


class NeverReserved(turns.MemoryStore):
    """A user's activity record that some other turn of theirs always changes first: every
    reservation is refused, and the turn reads the record again."""

    def __init__(self) -> None:
        super().__init__()
        self.reservations = 0

    def reserve_turn(self, *, uid, activity, version):
        self.reservations += 1
        return None


def test_a_turn_that_never_gets_its_place_is_a_503_session_busy_and_pays_for_no_reply():
    store, billed = NeverReserved(), Billed()
    body = TurnCreate(client_turn_id=uuid.uuid4().hex, message="should I take the offer?")
    with pytest.raises(ApiError) as busy:
        service.take_turn(uid=UID, body=body, **turns.turn_ports(store, generator=billed), now=NOW)
    assert (busy.value.status, busy.value.code) == (503, "session_busy")
    assert busy.value.headers() == {"Retry-After": "1"}
    assert store.reservations == service.RESERVE_ATTEMPTS  # bounded: it gives up
    assert billed.calls == 0 and store.sessions == {}
