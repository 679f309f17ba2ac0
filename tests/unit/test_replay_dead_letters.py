"""Which dead letters the replay script sends back, and with which attributes (the emulator
test, tests/integration/test_replay_dead_letters.py, runs the whole replay)."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from common.push.models import Notification, notification_event
from scripts.replay_dead_letters import (
    HOLD_SECONDS,
    RELEASE_BATCH,
    STALE_NOTIFICATION,
    judge,
    replay,
    replay_attributes,
)

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _letter(kind: str, occurred_at: datetime = AT, user_key: str | None = "k") -> bytes:
    envelope = {"event_id": "e", "type": kind, "occurred_at": occurred_at.isoformat()}
    return json.dumps({**envelope, "user_key": user_key}).encode()


def test_only_what_the_failure_added_is_dropped_from_the_attributes() -> None:
    attributes = {
        "event_id": "e",
        "type": "chat.turn.completed",
        "subject": "k",
        "private": "true",
        "CloudPubSubDeadLetterSourceSubscription": "events-profile-updater",
        "CloudPubSubDeadLetterSourceDeliveryCount": "10",
        "dead_letter_reason": "bigquery_refused: x",
        "original_message_id": "123",
    }
    assert replay_attributes(attributes) == {
        "event_id": "e",
        "type": "chat.turn.completed",
        "subject": "k",
        "private": "true",
    }


def test_a_letter_goes_back_only_to_its_own_topic() -> None:
    none = lambda key: None  # noqa: E731
    assert (
        judge(_letter("chat.turn.completed"), {}, notifications=False, erasure=none).action
        == "replay"
    )
    assert (
        judge(_letter("notification.requested"), {}, notifications=False, erasure=none).action
        == "hold"
    )
    assert (
        judge(_letter("chat.turn.completed"), {}, notifications=True, erasure=none).action == "hold"
    )
    release = json.dumps({"type": "notification.release_due"}).encode()  # Scheduler's: no time
    assert judge(release, {}, notifications=True, erasure=none).action == "replay"
    assert judge(b"not json", {}, notifications=False, erasure=none).action == "hold"


def test_a_letter_without_a_timezone_is_held_not_compared_with_the_erasure() -> None:
    # Compared with the record's aware times it raised TypeError and stopped the replay.
    letter = json.dumps({"type": "feedback.submitted", "occurred_at": "2026-12-06T12:00:00"})
    record = {"firestore": "done", "documents_gone_at": AT}
    verdict = judge(
        letter.encode(), {"subject": "s"}, notifications=False, erasure=lambda k: record
    )
    assert verdict.action == "hold"


def _weekly_insight(created_at: datetime) -> bytes:
    note = Notification(
        notification_id="weekly_insight.2026-W47.abc",
        uid="u1",
        kind="weekly_insight",
        title="Your week with ION",
        body="In the past week: 1 conversation.",
        data={"week": "2026-W47"},
        collapse_key="weekly_insight",
        created_at=created_at,
    )
    return json.dumps(notification_event(note, subject="k").envelope()).encode()


@pytest.mark.parametrize(
    ("age", "action"),
    [
        (timedelta(hours=20), "replay"),  # Sunday's, deferred into Monday by quiet hours
        (STALE_NOTIFICATION, "replay"),
        (STALE_NOTIFICATION + timedelta(minutes=1), "drop"),
        (timedelta(days=14), "drop"),  # the review's: W47's insight replayed in W49
    ],
)
def test_a_notification_older_than_a_push_may_wait_is_dropped(age: timedelta, action: str) -> None:
    """Replayed, it went out as new, and its collapse key replaced this week's insight on the
    phone. A push may wait out a day of quiet hours and about 9 hours of FCM redeliveries."""
    assert timedelta(days=1) < STALE_NOTIFICATION < timedelta(days=2)
    verdict = judge(
        _weekly_insight(AT - age),
        {"subject": "k"},
        notifications=True,
        erasure=lambda k: None,
        now=AT,
    )
    assert verdict.action == action
    assert ("stale" in verdict.reason) == (action == "drop")


@pytest.mark.parametrize(
    ("record", "occurred_at", "action"),
    [
        ({"firestore": "in_progress"}, AT + timedelta(hours=1), "drop"),  # all so far: old account
        ({"firestore": "done", "documents_gone_at": AT}, AT, "drop"),
        ({"firestore": "done", "documents_gone_at": AT}, AT - timedelta(seconds=1), "drop"),
        ({"firestore": "done", "documents_gone_at": AT}, AT + timedelta(seconds=1), "replay"),
        ({"firestore": "done", "requested_at": AT}, AT + timedelta(seconds=1), "replay"),  # older
    ],
)
def test_an_erased_users_old_event_is_dropped_and_a_returning_users_replayed(
    record: dict, occurred_at: datetime, action: str
) -> None:
    asked: list[str] = []

    def erasure(key: str) -> dict:
        asked.append(key)
        return record

    letter = _letter("feedback.submitted", occurred_at, user_key=None)  # anonymised: subject only
    verdict = judge(letter, {"subject": "s"}, notifications=False, erasure=erasure)
    assert (verdict.action, asked) == (action, ["s"])


@pytest.mark.parametrize(
    ("argv", "database"), [([], "(default)"), (["--database", "restored-1206"], "restored-1206")]
)
def test_erasures_are_read_from_the_database_the_functions_use(monkeypatch, argv, database):
    # After a restore the functions serve another database id (firestore_config.name): read
    # (default), the replay would judge letters by erasure records the stack no longer keeps.
    from unittest import mock

    from google.cloud import firestore, pubsub_v1

    from scripts import replay_dead_letters

    client = mock.Mock()
    monkeypatch.setattr(firestore, "Client", client)
    monkeypatch.setattr(pubsub_v1, "SubscriberClient", mock.Mock())
    monkeypatch.setattr(pubsub_v1, "PublisherClient", mock.Mock())
    monkeypatch.setattr(replay_dead_letters, "replay", mock.Mock(return_value={"hold": 0}))
    assert replay_dead_letters.main(["events-dead-letter", "--project", "p", *argv]) == 0
    client.assert_called_once_with(project="p", database=database)


class _LeasingSubscription:
    """A subscription with a clock (tests/fakes/clock.py): a pulled letter is leased for 10 s or
    as long as modify_ack_deadline says (at most `longest`), and comes back once its lease ran
    out, as Pub/Sub's do. Each call takes `per_call` seconds."""

    def __init__(self, letters: int, clock, *, per_call: float, longest: float) -> None:
        self.clock, self.per_call, self.longest = clock, per_call, longest
        self.letters = {str(i): _letter("session.started") for i in range(letters)}
        self.leased_until: dict[str, float] = {}
        self.released: list[int] = []  # the size of each request releasing letters
        self.released_at: list[float] = []  # and when it was made
        self.first_held: float | None = None  # when a letter was first leased for longer

    def pull(self, subscription, max_messages, timeout, retry):
        from types import SimpleNamespace

        self.clock.advance(self.per_call)
        assert self.clock.now < 36_000, "still pulling after 10 h"
        out = []
        for i, data in self.letters.items():
            if self.leased_until.get(i, -1) <= self.clock.now and len(out) < max_messages:
                self.leased_until[i] = self.clock.now + 10
                message = SimpleNamespace(data=data, attributes={"event_id": i}, message_id=i)
                out.append(SimpleNamespace(ack_id=i, message=message))
        return SimpleNamespace(received_messages=out)

    def modify_ack_deadline(self, subscription, ack_ids, ack_deadline_seconds):
        self.clock.advance(self.per_call)
        if ack_deadline_seconds == 0:
            self.released.append(len(ack_ids))
            self.released_at.append(self.clock.now)
        elif self.first_held is None:
            self.first_held = self.clock.now
        for ack_id in ack_ids:
            self.leased_until[ack_id] = self.clock.now + min(ack_deadline_seconds, self.longest)


@pytest.mark.parametrize(
    ("longest", "why"),
    [
        (HOLD_SECONDS, "since the first letter was held"),  # the run nears the leases' end
        (100, "came back"),  # a lease ran out sooner anyway
    ],
)
def test_a_dry_run_lists_each_letter_once_and_stops_before_the_held_come_back(
    longest: float, why: str
) -> None:
    # Listing a backlog takes longer than HOLD_SECONDS (Pub/Sub's longest lease): the first
    # letters held came back and were listed again, on and on (716,500 for 20,000 in 10 h).
    from tests.fakes.clock import FakeClock

    clock = FakeClock()
    subscription = _LeasingSubscription(3000, clock, per_call=0.5, longest=longest)
    said: list[str] = []
    counts = replay(
        subscription,
        None,
        "s",
        "t",
        notifications=False,
        erasure=lambda _: None,
        dry_run=True,
        say=said.append,
        clock=clock,
    )
    listed = [line.split()[1] for line in said if line.startswith("replay")]
    assert 0 < len(listed) == len(set(listed)) == counts["replay"] < 3000
    assert why in said[-2] and f"after {len(listed)} letters" in said[-2]
    assert said[100] == "... 100 letters so far"  # progress after each pull
    # every letter held is released, in requests of at most RELEASE_BATCH ack ids
    assert sum(subscription.released) >= len(listed)
    assert max(subscription.released) <= RELEASE_BATCH
    # ...before the first held letter's lease runs out (HOLD_MARGIN leaves time for that)
    assert max(subscription.released_at) < subscription.first_held + HOLD_SECONDS


def _main_with(monkeypatch, subscriber, replayed=None) -> int:
    """replay_dead_letters.main on a dry run, with this subscriber."""
    from unittest import mock

    from google.cloud import firestore, pubsub_v1

    from scripts import replay_dead_letters

    monkeypatch.setattr(firestore, "Client", mock.Mock())
    monkeypatch.setattr(pubsub_v1, "SubscriberClient", lambda: subscriber)
    monkeypatch.setattr(pubsub_v1, "PublisherClient", mock.Mock())
    if replayed is not None:
        monkeypatch.setattr(replay_dead_letters, "replay", mock.Mock(return_value=replayed))
    return replay_dead_letters.main(["events-dead-letter", "--project", "p", "--dry-run"])


def test_a_google_error_is_one_line_and_exit_status_2(monkeypatch, capsys) -> None:
    from unittest import mock

    from google.api_core.exceptions import ServiceUnavailable

    subscriber = mock.Mock()
    subscriber.pull.side_effect = ServiceUnavailable("the service is down\nmore detail")
    assert _main_with(monkeypatch, subscriber) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ServiceUnavailable" in err and "Traceback" not in err


@pytest.mark.parametrize(("held", "status"), [(0, 0), (2, 3)])
def test_letters_held_back_exit_3_not_an_errors_status(monkeypatch, held, status) -> None:
    from unittest import mock

    counts = {"replay": 1, "drop": 0, "hold": held}
    assert _main_with(monkeypatch, mock.Mock(), replayed=counts) == status
