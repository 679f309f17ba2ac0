"""The push service over an in-memory PushStore: the scheduled release of deferred pushes (with
a fake clock, and its workers run one after another in that clock's time) keeps claiming
batches until nothing is due or its time budget is spent, delivers PUSH_RELEASE_WORKERS at
once, and judges quiet hours at the moment each message goes, not when the run began; a
re-engagement nudge is judged again as it goes (a crisis turn, a turn since it was made or the
user's choice to anonymise analytics withholds it from the devices still without it: one a
device showed stays sent; personalization turned off takes the persona out of its text); and a
delivery deletes a device only when FCM's answer condemns its token."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path

import hcl2
import pytest

from common.chat.limits import activity_doc
from common.config import Settings
from common.notifications.models import REENGAGEMENT, WEEKLY_INSIGHT, Recipient
from common.notifications.reengagement import NUDGE_TEXT, reengagement_nudge
from common.push.models import Device, Notification, SendResult
from common.push.policy import longest_wait
from common.push.service import (
    DEADLINE_SECONDS,
    FUNCTION_TIMEOUT_SECONDS,
    LEASE_SECONDS,
    PUSH_LINE,
    Busy,
    Claim,
    UserPush,
    deliver,
    release_due,
)

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
FUNCTIONS_TF = Path(__file__).resolve().parents[2] / "terraform" / "stack" / "functions.tf"
SETTINGS = Settings(analytics_key="test-key", push_release_batch=50)
NIGHT = {"start": "22:00", "end": "07:00"}


class Clock:
    """Wall clock and monotonic clock moving together; each FCM call takes `per_send` seconds."""

    def __init__(self, start: datetime, per_send: float = 0.0) -> None:
        self.start, self.elapsed, self.per_send = start, 0.0, per_send

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return self.elapsed


class VirtualPool:
    """`workers` threads in the fake clock's time, without threads: a task runs at once, from
    when its worker is free, and the clock then shows when the caller can hand out the next
    one (a worker is free). Only the sender's calls take time (Clock.per_send)."""

    def __init__(self, clock: Clock, workers: int) -> None:
        self.clock, self.free = clock, [clock.elapsed] * workers

    def __enter__(self) -> VirtualPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.clock.elapsed = max(self.free)  # the run waits for the last one

    def submit(self, fn, *args) -> Future:
        caller = self.clock.elapsed
        worker = self.free.index(min(self.free))
        self.clock.elapsed = max(caller, self.free[worker])
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as e:
            future.set_exception(e)
        self.free[worker] = self.clock.elapsed
        self.clock.elapsed = max(caller, min(self.free))
        return future


class Sender:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.sent: list[tuple[str, datetime]] = []  # (notification id, when)

    def send(self, note: Notification, devices: list[Device]) -> list[SendResult]:
        self.clock.elapsed += self.clock.per_send
        self.sent += [(note.notification_id, self.clock.now())] * len(devices)
        return [SendResult(d.device_id, ok=True) for d in devices]


class Store:
    """What the release and a delivery need of the PushStore, kept in dictionaries."""

    def __init__(self, users: dict[str, dict], devices: int = 1) -> None:
        self.users = users  # uid -> users/{uid}
        self.devices = devices  # each user's
        self.removed: list[str] = []
        self.status: dict[str, str] = {}
        self.waiting: dict[str, tuple[Notification, datetime]] = {}  # id -> (note, due_at)
        self.claims = 0
        self.owners: dict[str, str] = {}  # id -> the owner_uid its record names
        self.activity: dict[str, dict] = {}  # uid -> activity/{uid}
        self.deliveries: Counter = Counter()  # id -> deliveries begun (Claim.deliveries)
        self.sent: dict[str, set[str]] = {}  # id -> devices that got it (the record's `sent`)

    def wait(self, note: Notification, due_at: datetime) -> None:
        self.status[note.notification_id] = "deferred"
        self.waiting[note.notification_id] = (note, due_at)

    def begin(self, notification_id, *, uid, release, now, lease):
        if self.status.get(notification_id) in {"sent", "failed", "suppressed"}:
            return Claim("duplicate")
        self.owners[notification_id] = uid
        self.status[notification_id] = "sending"
        self.deliveries[notification_id] += 1
        return Claim(
            "claimed",
            sent=frozenset(self.sent.get(notification_id, ())),
            deliveries=self.deliveries[notification_id],
        )

    def read_user(self, uid, ukey):
        devices = [Device(f"d{i}-{uid}", f"token{i}-{uid}", "android") for i in range(self.devices)]
        devices = [d for d in devices if d.device_id not in self.removed]
        return UserPush(self.users[uid], devices, activity=self.activity.get(uid))

    def take_slot(self, note, *, day, cap, now):
        return True

    def mark_sent(self, notification_id, device_ids):
        self.sent.setdefault(notification_id, set()).update(device_ids)

    def remove_devices(self, uid, device_ids):
        self.removed += device_ids

    def defer(self, note, *, due_at, reason, now, delivery, events):
        # as the Firestore store: only while the record is held by this delivery
        held = self.status.get(note.notification_id) == "sending"
        if not held or delivery != self.deliveries[note.notification_id]:
            raise Busy(note.notification_id)
        self.wait(note, due_at)
        return True

    def finish(self, notification_id, *, status, reason, now, events):
        self.status[notification_id] = status
        return True

    def claim_due(self, *, now, limit, lease):
        self.claims += 1
        waiting = list(self.waiting.items())  # one step: deliveries on threads drop theirs
        due = sorted((d, i) for i, (_, d) in waiting if d <= now)[:limit]
        for _, i in due:
            self.waiting[i] = (self.waiting[i][0], now + timedelta(seconds=lease))
        return [self.waiting[i][0] for _, i in due]

    def drop_waiting(self, note):
        self.waiting.pop(note.notification_id, None)


class Events:
    def __init__(self) -> None:
        self.published: list = []

    def publish(self, events):
        self.published += events

    def mark_due(self, event_ids, now):
        pass

    def delete_outbox(self, event_ids):
        pass


def _backlog(
    store: Store, n: int, *, uid: str = "u", due: datetime = T0, kind: str = WEEKLY_INSIGHT
) -> list[Notification]:
    notes = [
        Notification(
            notification_id=f"n-{i:05d}",
            uid=f"{uid}-{i:05d}",
            kind=kind,
            title="Your week with ION",
            body="In the past week: 2 conversations.",
            created_at=T0 - timedelta(hours=8),
        )
        for i in range(n)
    ]
    for note in notes:
        store.users.setdefault(note.uid, {"settings": {"timezone": "UTC"}})
        store.wait(note, due)
    return notes


def _deliver(
    store: Store, note: Notification, sender, *, now: datetime, sleep=lambda s: None, **kw
):
    """One delivery of `note` outside a release, its events published nowhere."""
    return deliver(
        note=note,
        store=store,
        sender=sender,
        outbox=Events(),
        publisher=Events(),
        settings=SETTINGS,
        now=now,
        sleep=sleep,
        **kw,
    )


def _release(store: Store, clock: Clock, *, workers: int = SETTINGS.push_release_workers, **kw):
    return release_due(
        store=store,
        sender=kw.pop("sender", Sender(clock)),
        outbox=Events(),
        publisher=kw.pop("publisher", Events()),
        settings=SETTINGS.model_copy(update={"push_release_workers": workers}),
        clock=clock.now,
        sleep=lambda s: None,
        monotonic=clock.monotonic,
        executor=lambda n: VirtualPool(clock, n),
        **kw,
    )


def test_one_run_releases_a_backlog_of_many_batches() -> None:
    store, clock = Store({}), Clock(T0, per_send=0.05)
    _backlog(store, 230)

    report = _release(store, clock)

    assert report.released == 230 and report.outcomes == {"sent": 230}
    assert store.waiting == {} and store.claims == 6  # five batches of 50, then none is due


def test_a_failure_dropping_a_waiting_copy_is_counted_and_the_run_goes_on() -> None:
    # It escaped from the worker and ended the whole release run (the own-diff review).
    class DropFails(Store):
        def drop_waiting(self, note):
            if note.notification_id == "n-00001":
                raise RuntimeError("503 Firestore unavailable")
            super().drop_waiting(note)

    store, clock = DropFails({}), Clock(T0, per_send=0.05)
    _backlog(store, 3)

    report = _release(store, clock)

    assert report.released == 3 and report.outcomes == {"sent": 2, "error": 1}
    assert set(store.waiting) == {"n-00001"}  # its record is final: a later release skips it


def test_a_release_failure_is_logged_for_an_operator(caplog) -> None:
    # Only the run's outcome counts said so: nothing paged while every release failed.
    class DropFails(Store):
        def drop_waiting(self, note):
            raise RuntimeError("503 Firestore unavailable")

    store, clock = DropFails({}), Clock(T0)
    _backlog(store, 1)
    with caplog.at_level("ERROR", logger="common.push.service"):
        _release(store, clock)
    (record,) = [r for r in caplog.records if r.getMessage() == "push release failed"]
    assert record.levelname == "ERROR" and record.needs_operator is True


def test_each_delivery_record_names_its_owner() -> None:
    # The user's export lists their records by it, and their erasure deletes them.
    clock = Clock(T0)
    store = Store({})
    notes = _backlog(store, 3)
    _release(store, clock)
    assert store.owners == {n.notification_id: n.uid for n in notes}


def test_a_delivery_whose_record_the_erasure_deleted_publishes_nothing() -> None:
    class Erased(Store):
        def finish(self, notification_id, *, status, reason, now, events):
            return False  # the user's erasure deleted the record while FCM sent

    for store, published in ((Store({}), 2), (Erased({}), 0)):
        publisher = Events()
        _backlog(store, 2)
        report = _release(store, Clock(T0), publisher=publisher)
        assert report.outcomes == {"sent": 2}
        assert [e.type for e in publisher.published] == ["push.sent"] * published


@pytest.mark.parametrize("workers", [1, 4, 16])
def test_a_run_stops_at_its_time_budget_and_the_next_run_goes_on(workers) -> None:
    # Each push takes a second; a run has 40: one worker releases 40, N workers 40 N.
    store, clock = Store({}), Clock(T0, per_send=1.0)
    _backlog(store, 1000)
    sender = Sender(clock)

    report = _release(store, clock, sender=sender, budget_seconds=40, workers=workers)

    released = 40 * workers
    assert report.released == released and len(sender.sent) == released
    # The page under way when time ran out stays leased for a later run.
    left = -released % SETTINGS.push_release_batch
    assert report.outcomes == {"sent": released} | ({"left_for_next_run": left} if left else {})
    assert len(store.waiting) == 1000 - released

    while store.waiting:
        clock.elapsed += 5 * 60  # the next scheduled run: the leases of those left ran out
        _release(store, clock, sender=sender, budget_seconds=40, workers=workers)
    assert len(sender.sent) == 1000 and len({n for n, _ in sender.sent}) == 1000  # each once


def test_a_backlog_drains_n_times_faster_with_n_workers() -> None:
    """20,000 weekly insights due at once took 9-19 hours one at a time (210-465 ms a push);
    here 1,280 at a second a push, as scheduled: a run every 5 minutes, each of 40 s."""

    def runs(workers: int) -> int:
        store, clock = Store({}), Clock(T0, per_send=1.0)
        _backlog(store, 1280)
        sender, n = Sender(clock), 0
        while store.waiting:
            start, n = clock.elapsed, n + 1
            _release(store, clock, sender=sender, workers=workers, budget_seconds=40)
            clock.elapsed = start + 5 * 60
        assert len(sender.sent) == 1280
        return n

    assert runs(1) == 32 and runs(16) == 2


def test_the_release_delivers_on_several_threads_at_once() -> None:
    """With real threads: PUSH_RELEASE_WORKERS sends are under way together, and each
    notification still goes once."""

    class Together(Sender):
        def __init__(self, clock: Clock, n: int) -> None:
            super().__init__(clock)
            self.gate = threading.Barrier(n, timeout=10)  # each round of n sends meets here

        def send(self, note, devices):
            self.gate.wait()  # breaks (an error outcome) unless n are under way at once
            return super().send(note, devices)

    store, clock = Store({}), Clock(T0)
    _backlog(store, 64)
    sender = Together(clock, 8)
    report = release_due(
        store=store,
        sender=sender,
        outbox=Events(),
        publisher=Events(),
        settings=SETTINGS.model_copy(update={"push_release_workers": 8}),
        clock=clock.now,
        sleep=lambda s: None,
        monotonic=clock.monotonic,
    )
    assert report.outcomes == {"sent": 64} and store.waiting == {}
    assert sorted(n for n, _ in sender.sent) == [f"n-{i:05d}" for i in range(64)]


def test_quiet_hours_are_judged_when_each_message_goes() -> None:
    # The run begins at 21:59:30 UTC; each send takes a second, 16 at once. For users whose
    # quiet hours start at 22:00, the messages still queued at 22:00 wait for the morning.
    start = datetime(2026, 11, 22, 21, 59, 30, tzinfo=UTC)
    store, clock = Store({}), Clock(start, per_send=1.0)
    notes = _backlog(store, 600, due=start)
    for note in notes:
        store.users[note.uid] = {"settings": {"timezone": "UTC", "quiet_hours": NIGHT}}
    sender = Sender(clock)

    report = _release(store, clock, sender=sender, workers=16)

    assert report.outcomes == {"sent": 30 * 16, "deferred": 600 - 30 * 16}
    assert all(when < start + timedelta(seconds=31) for _, when in sender.sent)
    morning = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    assert {due for _, due in store.waiting.values()} == {morning}


class Unanswered:
    """FCM giving no answer: each call ends on the client's timeout, `seconds` after it began
    (10 s httpTimeout; 20 s when the connection never opens, tried twice)."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        self.clock, self.seconds = clock, seconds

    def send(self, note, devices):
        self.clock.elapsed += self.seconds
        return [SendResult(d.device_id, ok=False, error="unknown") for d in devices]


@pytest.mark.parametrize("seconds", [10.0, 20.0])
def test_a_release_run_ends_inside_the_functions_timeout_when_fcm_does_not_answer(seconds):
    """Only the retries' sleeps were counted, not the calls: a delivery begun near the 40 s
    budget made three calls and the run took 66 s (63 s), past the push sender's 60 s timeout:
    Pub/Sub delivered the release again while it went on."""
    store, clock = Store({}), Clock(T0)
    _backlog(store, 400)

    def sleep(s: float) -> None:
        clock.elapsed += s

    report = release_due(
        store=store,
        sender=Unanswered(clock, seconds),
        outbox=Events(),
        publisher=Events(),
        settings=SETTINGS,
        clock=clock.now,
        sleep=sleep,
        monotonic=clock.monotonic,
        executor=lambda n: VirtualPool(clock, n),
    )

    assert clock.elapsed <= DEADLINE_SECONDS < FUNCTION_TIMEOUT_SECONDS
    assert report.released > 0 and set(report.outcomes) == {"deferred", "left_for_next_run"}
    assert len(store.waiting) == 400  # each is sent by a later run


def test_a_delivery_asks_fcm_again_only_if_the_call_can_end_inside_the_timeout():
    # A connection that never opens takes 20 s a call: three calls and their sleeps took 63 s.
    clock = Clock(T0)
    store, sleeps = Store({}), []
    (note,) = _backlog(store, 1)
    store.waiting.clear()

    def sleep(s: float) -> None:
        sleeps.append(s)
        clock.elapsed += s

    outcome = _deliver(
        store, note, Unanswered(clock, 20.0), now=T0, sleep=sleep, monotonic=clock.monotonic
    )

    assert (outcome.status, outcome.reason) == ("deferred", "retry")
    assert sleeps == [1.0] and clock.elapsed == 41.0  # a third call could end at 63 s


def test_the_deadline_is_counted_from_the_push_senders_own_timeout() -> None:
    tf = hcl2.load(FUNCTIONS_TF.open())
    specs = next(block["function_specs"] for block in tf["locals"] if "function_specs" in block)
    assert specs["push_sender"]["timeout_seconds"] == FUNCTION_TIMEOUT_SECONDS


def test_a_run_with_nothing_due_claims_once_and_stops() -> None:
    store, clock = Store({}), Clock(T0)
    _backlog(store, 3, due=T0 + timedelta(seconds=LEASE_SECONDS))
    assert _release(store, clock).released == 0 and store.claims == 1


class Refusing:
    """FCM refusing every device with one error (as read by common/adapters/fcm_sender.py)."""

    def __init__(self, error: str, status: int = 400) -> None:
        self.error, self.status, self.calls = error, status, 0

    def send(self, note, devices):
        self.calls += 1
        return [
            SendResult(d.device_id, ok=False, error=self.error, http_status=self.status)
            for d in devices
        ]


@pytest.mark.parametrize(
    ("error", "removed"),
    [
        ("invalid_argument", 0),  # e.g. the message too big: about the message, not the tokens
        ("invalid_token", 3),
        ("unregistered", 3),
        # every token gets it when this project is not the apps': a setup error, not the tokens
        ("sender_id_mismatch", 0),
    ],
)
def test_devices_are_deleted_only_when_the_answer_condemns_the_token(error, removed) -> None:
    store = Store({}, devices=3)
    (note,) = _backlog(store, 1)
    outcome = _deliver(store, note, Refusing(error), now=T0)
    assert (outcome.status, outcome.reason) == ("failed", "all_devices_failed")
    assert outcome.removed == removed == len(store.removed)


def test_a_redelivery_after_every_device_got_the_push_sends_nothing_more_and_records_it_sent():
    # The earlier delivery marked both devices sent, then crashed (or its ack was lost) before
    # it finished the record: Pub/Sub delivers the message again.
    store, publisher = Store({}, devices=2), Events()
    (note,) = _backlog(store, 1)
    store.sent[note.notification_id] = {f"d0-{note.uid}", f"d1-{note.uid}"}
    fcm = Refusing("unavailable", 503)  # would defer a retry, were it asked

    outcome = deliver(
        note=note,
        store=store,
        sender=fcm,
        outbox=Events(),
        publisher=publisher,
        settings=SETTINGS,
        now=T0,
        sleep=lambda s: None,
    )

    assert fcm.calls == 0
    assert (outcome.status, outcome.sent) == ("sent", 2)
    assert store.status[note.notification_id] == "sent"
    (event,) = publisher.published
    assert (event.type, event.data["devices"]) == ("push.sent", 2)
    assert "withheld" not in event.data  # it went out: nothing was held back


def test_a_quota_exceeded_without_retry_after_defers_a_minute_instead_of_retrying_at_once():
    """FCM refuses until its per-minute quota refills: retries after 1 s and 2 s were refused
    too. A minute is beyond the wait a delivery may spend (10 s), so it is deferred at once."""

    class OverQuota:
        calls = 0

        def send(self, note, devices):
            self.calls += 1
            return [
                SendResult(d.device_id, ok=False, error="quota_exceeded", http_status=429)
                for d in devices
            ]

    store, sender, sleeps = Store({}), OverQuota(), []
    (note,) = _backlog(store, 1)
    outcome = _deliver(store, note, sender, now=T0, sleep=sleeps.append)
    assert (outcome.status, outcome.reason) == ("deferred", "retry")
    assert sender.calls == 1 and sleeps == []
    assert store.waiting[note.notification_id][1] == T0 + timedelta(minutes=1)


class Outage:
    """FCM answering 503 to every send until `until` (then sending), with a Retry-After if
    given; it records when each delivery called it."""

    def __init__(self, clock: Clock, until: datetime, retry_after: float | None = None) -> None:
        self.clock, self.until, self.retry_after = clock, until, retry_after
        self.calls: list[datetime] = []

    def send(self, note, devices):
        now = self.clock.now()
        self.calls.append(now)
        if now >= self.until:
            return [SendResult(d.device_id, ok=True) for d in devices]
        return [
            SendResult(d.device_id, False, "unavailable", 503, retry_after=self.retry_after)
            for d in devices
        ]


def _through_outage(hours: float, *, retry_after: float | None = None) -> tuple[str, list]:
    """A push first delivered at T0 while FCM is down for `hours`, then released by the
    scheduled run every 5 minutes for a day: its final status and when each delivery began."""
    clock = Clock(T0)
    store, fcm = Store({}), Outage(clock, T0 + timedelta(hours=hours), retry_after)
    (note,) = _backlog(store, 1)
    store.waiting.clear()  # not waiting yet: this is its first delivery
    _deliver(store, note, fcm, now=T0)
    for run in range(1, 24 * 12 + 1):
        clock.elapsed = run * 5 * 60
        _release(store, clock, sender=fcm)
    # Within one delivery FCM is called push_retry_attempts times in a row: the first of each.
    firsts = sorted(set(fcm.calls))
    return store.status[note.notification_id], firsts


def _minutes(deliveries: list[datetime]) -> list[float]:
    return [(d - T0) / timedelta(minutes=1) for d in deliveries]


def test_a_push_outlasts_a_half_hour_fcm_outage():
    # Released every 5 minutes, it had failed for good at T0 + 20 min (the 5th delivery).
    status, deliveries = _through_outage(0.5)
    assert status == "sent"
    assert _minutes(deliveries) == [0, 5, 10, 20, 40]  # the next release, then 5, 10, 20 min


def test_a_push_outlasts_an_outage_of_hours_with_few_deliveries():
    status, deliveries = _through_outage(5)
    assert status == "sent"
    assert _minutes(deliveries) == [0, 5, 10, 20, 40, 80, 160, 320]


def test_a_push_fcm_never_takes_fails_after_its_deliveries(caplog):
    with caplog.at_level("INFO", logger="common.push.service"):
        status, deliveries = _through_outage(48)
    assert status == "failed"
    assert len(deliveries) == SETTINGS.push_max_deliveries == 9
    assert deliveries[-1] - T0 == timedelta(minutes=560)  # about 9 hours after the first
    # Its last delivery was a release's: that writes the `push` line the failed pushes' metric
    # counts, as the push sender does for a message (terraform/modules/monitoring).
    (line,) = [r for r in caplog.records if r.getMessage() == PUSH_LINE]
    assert (line.status, line.reason) == ("failed", "retries_exhausted")


def test_a_retry_after_longer_than_the_wait_between_deliveries_is_honoured():
    # FCM asks for an hour: the next delivery waits an hour, not the 5 minutes of the first.
    status, deliveries = _through_outage(0.5, retry_after=3600)
    assert status == "sent"
    assert [d - T0 for d in deliveries] == [timedelta(0), timedelta(hours=1)]


def test_a_sender_mismatch_keeps_the_devices_and_logs_an_error(caplog) -> None:
    store = Store({}, devices=2)
    (note,) = _backlog(store, 1)
    with caplog.at_level("ERROR", logger="common.push.service"):
        deliver(
            note=note,
            store=store,
            sender=Refusing("sender_id_mismatch"),
            outbox=Events(),
            publisher=Events(),
            settings=SETTINGS,
            now=T0,
            sleep=lambda s: None,
        )
    assert store.removed == []
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "GOOGLE_CLOUD_PROJECT" in record.getMessage()
    assert record.errors == {"sender_id_mismatch": 2}
    assert record.needs_operator is True  # what the monitoring alert matches


def test_a_token_from_another_project_is_deleted_when_another_device_got_the_push(caplog):
    """Three phones, one token from another Firebase project (a staging build): it stayed, and
    each push to the user alerted "wrong Firebase project" (its re-registration kept it from
    ageing out). The others got the push: the project is right, the token is not."""

    class OneForeign:
        def send(self, note, devices):
            return [
                SendResult(d.device_id, False, "sender_id_mismatch", 403)
                if d.device_id.startswith("d2-")
                else SendResult(d.device_id, ok=True)
                for d in devices
            ]

    store = Store({}, devices=3)
    (note,) = _backlog(store, 1)
    with caplog.at_level("ERROR", logger="common.push.service"):
        outcome = _deliver(store, note, OneForeign(), now=T0)

    assert (outcome.status, outcome.sent, outcome.removed) == ("sent", 2, 1)
    assert store.removed == [f"d2-{note.uid}"]
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []


@pytest.mark.parametrize(
    ("error", "status"),
    [
        ("third_party_auth_error", 401),  # the APNs key in Firebase expired or was revoked
        ("permission_denied", 403),  # the FCM API disabled, or the sender's role gone
        ("unauthenticated", 401),  # our OAuth token refused
    ],
)
def test_a_refusal_of_our_credentials_alerts_once_and_the_push_goes_once_they_are_mended(
    caplog, error, status
) -> None:
    """It failed for good (all_devices_failed, logged at INFO), and its redelivery after the fix
    found it final: the user never got it, and no operator heard of it."""
    store = Store({}, devices=2)
    (note,) = _backlog(store, 1)
    store.waiting.clear()  # not waiting yet: this is its first delivery
    fcm, sleeps = Refusing(error, status), []
    with caplog.at_level("ERROR", logger="common.push.service"):
        first = _deliver(store, note, fcm, now=T0, sleep=sleeps.append)

    assert (first.status, first.reason) == ("deferred", "retry")
    assert fcm.calls == 1 and sleeps == []  # asking again within seconds is no use
    assert store.removed == []
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]  # one, not one a device
    assert "credentials" in record.getMessage()
    assert record.errors == {error: 2} and record.needs_operator is True

    clock = Clock(T0 + timedelta(minutes=5))  # mended; the next release run
    sender = Sender(clock)
    assert _release(store, clock, sender=sender).outcomes == {"sent": 1}
    assert len(sender.sent) == 2


# A nudge made by the daily run (16:00 UTC) for a user in Seoul waits out their quiet hours
# (22:00-08:00 there, the default) until 23:00 UTC.
MADE = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
SEOUL_MORNING = datetime(2026, 11, 24, 23, 0, 5, tzinfo=UTC)
SEOUL = {"settings": {"timezone": "Asia/Seoul"}}


def _nudge(user: dict) -> Notification:
    """The nudge the daily run makes at MADE for u1."""
    recipient = Recipient(uid="u1", user_key="k1", user=user, preferences={"shown": {"lua": 9}})
    note, _ = reengagement_nudge(recipient, now=MADE, key="key", cooldown_days=14)
    assert note is not None
    return note


def _waiting_nudge(store: Store) -> Notification:
    note = _nudge(SEOUL)
    first = _deliver(store, note, Sender(Clock(MADE)), now=MADE)
    assert (first.status, first.reason) == ("deferred", "quiet_hours")
    return note


def _turn(at: datetime, *, crisis: bool = False) -> dict:
    """The activity record after one turn at `at`."""
    return activity_doc([(at, "h")], limited_until=None, crisis_at=at if crisis else None)


def _heavy(at: datetime) -> dict:
    """The activity record after one turn about a heavy life event at `at`."""
    return activity_doc([(at, "h")], limited_until=None, heavy_at=at)


def _leaning(at: datetime) -> dict:
    """The activity record after one turn that leaned on the mentor at `at`."""
    return activity_doc([(at, "h")], limited_until=None, leaning=(at, "dependence"))


@pytest.mark.parametrize(
    ("activity", "reason"),
    [
        (_turn(datetime(2026, 11, 24, 18, 30, tzinfo=UTC), crisis=True), "after_crisis"),
        # a crisis 29 days before the nudge was made (one the churn view could not see)
        (_turn(MADE - timedelta(days=29), crisis=True), "after_crisis"),
        (_turn(datetime(2026, 11, 24, 22, 0, tzinfo=UTC)), "active_since"),  # "it has been a while"
        # a turn about a death 4 days before the nudge was made (the boundaries review)
        (_heavy(MADE - timedelta(days=4)), "after_heavy_event"),
        # "you're the only one I talk to" 20 days before (the loneliness review)
        (_leaning(MADE - timedelta(days=20)), "leaning"),
    ],
)
def test_a_nudge_that_waited_out_quiet_hours_is_judged_again_when_it_goes(activity, reason):
    store = Store({"u1": SEOUL})
    note = _waiting_nudge(store)
    store.activity["u1"] = activity
    clock = Clock(SEOUL_MORNING)
    sender, publisher = Sender(clock), Events()

    report = _release(store, clock, sender=sender, publisher=publisher)

    assert report.outcomes == {"suppressed": 1} and sender.sent == []
    assert store.status[note.notification_id] == "suppressed" and store.waiting == {}
    assert [(e.type, e.data["reason"]) for e in publisher.published] == [
        ("push.suppressed", reason)
    ]


def test_a_nudge_is_withheld_from_a_user_who_anonymised_analytics_while_it_waited():
    # "Never targeted from analytics" was checked only when the nudge was made (16:00 UTC).
    store = Store({"u1": {"settings": {"timezone": "Asia/Seoul"}}})
    note = _waiting_nudge(store)
    store.users["u1"]["settings"]["anonymize_analytics"] = True  # at 18:00 UTC
    clock = Clock(SEOUL_MORNING)
    sender, publisher = Sender(clock), Events()

    report = _release(store, clock, sender=sender, publisher=publisher)

    assert report.outcomes == {"suppressed": 1} and sender.sent == []
    assert store.status[note.notification_id] == "suppressed"
    (event,) = publisher.published
    assert (event.type, event.data["reason"], event.user_key) == (
        "push.suppressed",
        "anonymised",
        None,
    )


def test_a_nudge_made_in_a_personas_voice_goes_with_the_text_that_names_none():
    """Made when nudges named the persona the user talked with most ("Lua is here when you're
    ready"), before the boundaries review; it goes with the text the producer makes now."""

    notes: list[Notification] = []

    class Texts(Sender):
        def send(self, note, devices):
            notes.append(note)
            return super().send(note, devices)

    store = Store({"u1": {"settings": {"timezone": "Asia/Seoul"}}})
    made = _nudge(SEOUL).model_copy(
        update={"title": "Lua is here when you're ready", "data": {"persona": "lua"}}
    )
    first = _deliver(store, made, Sender(Clock(MADE)), now=MADE)
    assert (first.status, first.reason) == ("deferred", "quiet_hours")
    clock = Clock(SEOUL_MORNING)
    sender = Texts(clock)

    assert _release(store, clock, sender=sender).outcomes == {"sent": 1}

    (sent,) = notes
    assert (sent.title, sent.body) == NUDGE_TEXT and sent.data == {}
    assert sent.notification_id == made.notification_id


def test_a_nudge_goes_when_the_users_last_turn_was_before_it_was_made():
    store = Store({"u1": SEOUL})
    _waiting_nudge(store)
    store.activity["u1"] = _turn(MADE - timedelta(hours=20))  # the churn view's data lags
    clock = Clock(SEOUL_MORNING)
    sender = Sender(clock)
    assert _release(store, clock, sender=sender).outcomes == {"sent": 1}
    assert len(sender.sent) == 1


@pytest.mark.parametrize(
    ("activity", "outcomes"),
    [
        # It tells the week it names, which a later turn does not make untrue.
        (_turn(T0 - timedelta(minutes=5)), {"sent": 1}),
        # An upbeat tally after a crisis turn in the week it tells is not sent, as its producer
        # would not have made it (made at T0 - 8 h, Sunday; the week began on Monday 16th).
        (_turn(T0 - timedelta(minutes=5), crisis=True), {"suppressed": 1}),
        (_turn(datetime(2026, 11, 16, 0, 0, tzinfo=UTC), crisis=True), {"suppressed": 1}),
        (_turn(datetime(2026, 11, 15, 23, 59, tzinfo=UTC), crisis=True), {"sent": 1}),
    ],
)
def test_a_weekly_insight_is_held_back_only_for_a_crisis_turn_in_its_week(activity, outcomes):
    store = Store({})
    (note,) = _backlog(store, 1)
    store.activity[note.uid] = activity
    clock, publisher = Clock(T0), Events()
    assert _release(store, clock, publisher=publisher).outcomes == outcomes
    if "suppressed" in outcomes:
        assert [(e.type, e.data["reason"]) for e in publisher.published] == [
            ("push.suppressed", "after_crisis")
        ]


def test_a_weekly_insight_delivered_the_next_week_is_held_back_for_a_crisis_in_the_week_it_tells():
    # Made Sunday 04:00, a crisis that Sunday 20:00, delivered Monday 12:00 (quiet hours, a
    # retry): the week it tells held the crisis, though the week of its delivery does not.
    store = Store({})
    (note,) = _backlog(store, 1)
    store.activity[note.uid] = _turn(T0 + timedelta(hours=8), crisis=True)
    clock, publisher = Clock(T0 + timedelta(hours=24)), Events()
    assert _release(store, clock, publisher=publisher).outcomes == {"suppressed": 1}
    assert [e.data["reason"] for e in publisher.published] == ["after_crisis"]


@pytest.mark.parametrize("kind", [WEEKLY_INSIGHT, REENGAGEMENT])
@pytest.mark.parametrize("user", [{}, {"settings": {"notifications": True}}, None])
def test_a_scheduled_push_to_a_user_who_never_set_their_time_zone_is_suppressed(user, kind):
    """One made before the producers skipped such users: at the scheduler's UTC hour it lands
    in the small hours somewhere, and their quiet hours cannot be told."""
    store = Store({})
    (note,) = _backlog(store, 1, kind=kind)
    store.users[note.uid] = user
    clock, sender, publisher = Clock(T0), Sender(Clock(T0)), Events()

    report = _release(store, clock, sender=sender, publisher=publisher)

    assert report.outcomes == {"suppressed": 1} and sender.sent == []
    assert store.status[note.notification_id] == "suppressed" and store.waiting == {}
    assert [(e.type, e.data["reason"]) for e in publisher.published] == [
        ("push.suppressed", "timezone_unknown")
    ]


def test_a_push_no_schedule_made_still_goes_to_a_user_of_unknown_time_zone():
    """The rule holds back what the scheduler sends at its own hour, not a push of another kind
    (one the user's own action would cause)."""
    store = Store({"u1": {}})
    note = Notification(
        notification_id="n-1", uid="u1", kind="reply_ready", title="t", body="b", created_at=T0
    )
    assert _deliver(store, note, Sender(Clock(T0)), now=T0).status == "sent"


class OneDeviceDown:
    """FCM reaching every device but `down`, which answers 503; it records whom each call was
    asked to reach."""

    def __init__(self, down: str) -> None:
        self.down, self.asked = down, []

    def send(self, note, devices):
        self.asked.append([d.device_id for d in devices])
        return [
            SendResult(d.device_id, ok=True)
            if d.device_id != self.down
            else SendResult(d.device_id, False, "unavailable", 503)
            for d in devices
        ]


@pytest.mark.parametrize(
    ("turn", "reason"),
    [
        (_turn(MADE + timedelta(minutes=2)), "active_since"),  # they tapped it on the phone
        (_turn(MADE + timedelta(minutes=2), crisis=True), "after_crisis"),
        (None, "notifications_off"),  # they turned push notifications off (any kind of push)
    ],
)
def test_a_push_one_device_showed_stays_sent_when_its_retry_is_held_back(turn, reason):
    """The phone shows the nudge, the web token's send fails (503: a retry with the next
    release); the user taps it and chats, or turns notifications off. The retry sends nothing
    more, and the nudge is recorded sent, with the push.sent event, not suppressed as if it had
    never gone out."""
    store = Store({"u1": {"settings": {"timezone": "UTC"}}}, devices=2)
    note = _nudge(store.users["u1"])
    fcm = OneDeviceDown(down="d1-u1")
    first = _deliver(store, note, fcm, now=MADE)
    assert (first.status, first.reason) == ("deferred", "retry")
    assert store.sent[note.notification_id] == {"d0-u1"}
    asked = len(fcm.asked)
    if turn:
        store.activity["u1"] = turn
    else:
        store.users["u1"]["settings"]["notifications"] = False
    clock, publisher = Clock(MADE + timedelta(minutes=5)), Events()

    report = _release(store, clock, sender=fcm, publisher=publisher)

    assert report.outcomes == {"sent": 1} and len(fcm.asked) == asked  # nothing more went out
    assert store.status[note.notification_id] == "sent" and store.waiting == {}
    (event,) = publisher.published
    assert event.type == "push.sent"
    assert (event.data["devices"], event.data["withheld"], event.data["withheld_devices"]) == (
        1,
        reason,
        1,
    )


def test_a_stale_push_is_not_sent_at_all() -> None:
    # Past its life (quiet hours and every redelivery waited out) it would show as new, and FCM
    # was told to keep it no longer: a release that finds it so late sends nothing.
    store, publisher = Store({}), Events()
    (note,) = _backlog(store, 1)  # made 8 hours before T0
    life = longest_wait(SETTINGS.push_max_deliveries)
    clock = Clock(note.created_at + life)
    sender = Sender(clock)
    outcome = deliver(
        note=note,
        store=store,
        sender=sender,
        outbox=Events(),
        publisher=publisher,
        settings=SETTINGS,
        now=clock.now(),
        sleep=lambda s: None,
    )
    assert (outcome.status, outcome.reason) == ("suppressed", "stale")
    assert sender.sent == []
    (event,) = publisher.published
    assert (event.type, event.data["reason"]) == ("push.suppressed", "stale")
    # a moment younger, it goes
    store = Store({})
    (fresh,) = _backlog(store, 1)
    assert (
        _deliver(store, fresh, Sender(clock), now=fresh.created_at + life * 0.99).status == "sent"
    )
