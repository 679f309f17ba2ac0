"""storage_errors(): a Firestore outage is a 503, and after a few unreachable calls in a row the
instance answers 503 at once instead of every request waiting out its retry budget."""

import pytest
from google.api_core import exceptions

from common.adapters import firestore_calls
from common.adapters.firestore_calls import storage_errors
from common.breaker import CircuitBreaker
from common.errors import Unavailable


@pytest.fixture(autouse=True)
def fresh_breaker(monkeypatch):
    breaker = CircuitBreaker(failures=3, reset_seconds=60)
    monkeypatch.setattr(firestore_calls, "STORAGE_BREAKER", breaker)
    return breaker


def call(error: Exception | None = None) -> bool:
    """Run one storage call that raises `error`; True if its body ran at all."""
    ran = False
    with storage_errors():
        ran = True
        if error is not None:
            raise error
    return ran


def test_an_unreachable_firestore_opens_the_breaker_and_later_calls_fail_fast(fresh_breaker):
    for _ in range(3):
        with pytest.raises(Unavailable) as e:
            call(exceptions.ServiceUnavailable("down"))
        assert e.value.retry_after == 5
    body_ran = []
    with pytest.raises(Unavailable), storage_errors():
        body_ran.append(True)
    assert body_ran == []  # refused before touching Firestore
    assert fresh_breaker.state == "open"


def test_answers_from_firestore_are_not_an_outage(fresh_breaker):
    for _ in range(2):
        with pytest.raises(Unavailable):
            call(exceptions.DeadlineExceeded("slow"))
    with pytest.raises(exceptions.Conflict):  # Firestore answered: the count starts again
        call(exceptions.Conflict("exists"))
    for _ in range(2):
        with pytest.raises(Unavailable):
            call(exceptions.Aborted("contention"))  # a 503 for this call, not an outage
        with pytest.raises(Unavailable):
            call(exceptions.RetryError("gave up", cause=None))
    assert fresh_breaker.state == "closed"
    assert call() is True


@pytest.mark.parametrize("refusal", [exceptions.PermissionDenied, exceptions.Unauthenticated])
def test_a_refusal_of_this_services_account_is_a_503_for_an_operator(
    fresh_breaker, caplog, refusal
):
    # It was a 500, which the runbook reads as a bug to roll back: no rollback mends IAM or
    # billing. Refused at once, it does not open the breaker (Firestore answered).
    for _ in range(3):
        with pytest.raises(Unavailable) as raised:
            call(refusal("Missing or insufficient permissions."))
        assert raised.value.code == "storage_unavailable" and raised.value.retry_after == 5
    assert fresh_breaker.state == "closed"
    told = [r for r in caplog.records if getattr(r, "needs_operator", False)]
    assert len(told) == 3 and refusal.__name__ in told[0].getMessage()


@pytest.mark.parametrize("failure", [exceptions.Cancelled, exceptions.ResourceExhausted])
def test_a_cancelled_or_refused_for_quota_call_is_a_503(fresh_breaker, caplog, failure):
    with pytest.raises(Unavailable) as raised:
        call(failure("Quota exceeded."))
    assert raised.value.code == "storage_unavailable" and fresh_breaker.state == "closed"
    assert not [r for r in caplog.records if getattr(r, "needs_operator", False)]


def test_an_inner_block_is_not_counted_twice(fresh_breaker):
    # failures=3: counted once per outer block, it opens on the third; counted twice, it
    # would open on the second
    for expected in ("closed", "closed", "open"):
        with pytest.raises(Unavailable), storage_errors(), storage_errors():
            raise exceptions.ServiceUnavailable("down")
        assert fresh_breaker.state == expected


def test_its_state_can_be_read_while_another_thread_closes_it() -> None:
    # /healthz reads the state without the lock: a success() between reading when it opened
    # and doing the sum used to raise TypeError (a 500 from /healthz). The clock here is that
    # other thread, closing the breaker at the worst moment.
    breaker = CircuitBreaker(failures=1, reset_seconds=60, clock=lambda: closing())

    def closing() -> float:
        breaker.success()
        return 100.0

    breaker._opened_at = 50.0  # opened by a failure at t = 50 (no clock call, so no closing)
    assert breaker.state == "open"  # as read when the read began
    assert breaker.state == "closed"


def test_a_nested_block_does_not_spend_the_half_open_trial(monkeypatch) -> None:
    # export_user reads the profile (its own block) inside its block: the inner block used to
    # be refused after the outer took the one trial call, so the trial never reached Firestore
    # and the breaker stayed open.
    from tests.fakes.clock import FakeClock

    clock = FakeClock()
    breaker = CircuitBreaker(failures=2, reset_seconds=2, clock=clock)
    monkeypatch.setattr(firestore_calls, "STORAGE_BREAKER", breaker)
    for _ in range(2):
        with pytest.raises(Unavailable):
            call(exceptions.ServiceUnavailable("down"))
    assert breaker.state == "open"
    clock.advance(2)  # half-open: one trial call may pass
    reached = []
    with storage_errors(), storage_errors():
        reached.append(True)
    assert reached == [True] and breaker.state == "closed"
    # and an outage inside a nested block is still judged once, by the outer block: with
    # failures=2 the first leaves the breaker closed (counted twice, it would open it) and
    # the second opens it
    for expected in ("closed", "open"):
        with pytest.raises(Unavailable), storage_errors(), storage_errors():
            raise exceptions.ServiceUnavailable("down again")
        assert breaker.state == expected


def test_a_transaction_that_cannot_begin_is_an_outage(fresh_breaker, monkeypatch) -> None:
    # The library's transaction wrapper rolls back on any error; with BeginTransaction failed
    # there is nothing to roll back, and its ValueError used to replace the outage: a 500, with
    # the breaker told Firestore had answered (the except-clause review, 2026-12-05).
    from unittest import mock

    from google.cloud import firestore

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1")  # never contacted
    db = firestore.Client(project="storage-breaker")
    api = mock.MagicMock()
    api.begin_transaction.side_effect = exceptions.ServiceUnavailable("firestore down")
    db._firestore_api_internal = api

    @firestore.transactional
    def read_nothing(transaction) -> None:
        return None

    for expected in ("closed", "closed", "open"):
        with pytest.raises(Unavailable), storage_errors():
            read_nothing(db.transaction())
        assert fresh_breaker.state == expected


def test_a_transaction_contended_past_its_attempts_is_a_503(fresh_breaker) -> None:
    # After its attempts the wrapper raises ValueError from the last Aborted: Firestore
    # answered, so the breaker stays closed, and the client is told to try again.
    with pytest.raises(Unavailable), storage_errors():
        try:
            raise exceptions.Aborted("contention")
        except exceptions.Aborted as aborted:
            raise ValueError("Failed to commit transaction in 5 attempts.") from aborted
    assert fresh_breaker.state == "closed"
    with pytest.raises(ValueError), storage_errors():  # our own ValueError stays one
        raise ValueError("a bug")
    # and one whose transaction could not begin for want of permission, the same way
    with pytest.raises(Unavailable), storage_errors():
        try:
            raise exceptions.PermissionDenied("Missing or insufficient permissions.")
        except exceptions.PermissionDenied as refused:
            raise ValueError("The transaction has no transaction ID") from refused


def test_a_transaction_that_hangs_is_an_outage_within_its_deadline(fresh_breaker, monkeypatch):
    # BeginTransaction takes the library's own 60 s retry: unreachable Firestore held a device
    # registration ~57 s, past the gateway's 15 s (the timeout-chain review, 2026-12-05).
    import threading
    import time
    from unittest import mock

    from google.cloud import firestore

    monkeypatch.setattr(firestore_calls, "TRANSACTION_SECONDS", 0.2)
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1")  # never contacted
    db = firestore.Client(project="storage-breaker")
    released = threading.Event()
    api = mock.MagicMock()
    api.begin_transaction.side_effect = lambda **kw: released.wait(5) and None
    db._firestore_api_internal = api

    @firestore.transactional
    def read_nothing(transaction) -> None:
        return None

    started = time.monotonic()
    with pytest.raises(Unavailable), storage_errors():
        firestore_calls.within_deadline(read_nothing, db.transaction())
    assert time.monotonic() - started < 2  # not the 5 s the hung call would take
    assert fresh_breaker._failures == 1  # counted as an outage
    released.set()
