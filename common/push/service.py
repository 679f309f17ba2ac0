"""Delivering one notification, and releasing the ones that waited (keyword-only services).

A notification goes through these states in `push_notifications/{notification_id}`:
sending -> sent | failed | suppressed, or sending -> deferred -> (released) sending -> ...
Whoever finds it already decided (a redelivery) does nothing, so a notification is never sent
twice; devices that got it are recorded after each send, so a delivery that stops half-way is
finished later without sending to them again. Quiet hours and retries that would wait too long
never drop a message: it waits in `deferred_notifications` until due, and the scheduled release
(`notification.release_due` on the notifications topic) sends it."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import (
    ALL_COMPLETED,
    FIRST_COMPLETED,
    Executor,
    Future,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from common.config import Settings
from common.events import Event, EventPublisher, user_key
from common.logs import NEEDS_OPERATOR
from common.notifications.models import (
    REENGAGEMENT,
    SCHEDULED,
    WEEKLY_INSIGHT,
)
from common.notifications.reengagement import nudge_as_sent, withhold_reason
from common.notifications.weekly import week_withheld
from common.outbox import deliver_now
from common.ports import OutboxStore
from common.profile.service import settings_of, timezone_set
from common.push.models import Device, Notification, SendResult
from common.push.policy import (
    CREDENTIAL_ERRORS,
    DEAD_TOKEN_ERRORS,
    MISCONFIGURED_ERRORS,
    SENDER_ID_MISMATCH,
    decide,
    is_retryable,
    lifespan,
    local_day,
    redelivery_delay,
    retry_delay,
    wait_asked,
)

log = logging.getLogger(__name__)

LEASE_SECONDS = 120  # a delivery not finished by then is taken over (the instance died)
# The push sender's timeout (terraform/stack/functions.tf), also its subscription's ack
# deadline: a run or delivery still going then is redelivered while it goes on.
FUNCTION_TIMEOUT_SECONDS = 60.0
# How long one FCM call may take without an answer: httpTimeout (10 s, common/clients.py) for
# an answer that never comes, twice that for a connection that never opens (the adapter tries
# it once more, common/adapters/fcm_sender.py). A retry's sleep only was counted: three calls
# of a delivery took 10 + 1 + 10 + 2 + 10 s, and a release run 66 s.
FCM_CALL_SECONDS = 20.0
# From the start of a delivery (or of a release run), FCM is asked again only if that call can
# end by then: the last 5 s are for the Firestore round trips around the last call (~15 a
# delivery, 14-31 ms each, ten times that when Firestore is slow) and the reply.
DEADLINE_SECONDS = FUNCTION_TIMEOUT_SECONDS - 5.0
# A release run starts no delivery after this long (35 s), so that each one's first call ends
# by the deadline too; what it cannot send again in time is deferred to a later run.
RELEASE_BUDGET_SECONDS = DEADLINE_SECONDS - FCM_CALL_SECONDS
# FCM answers about our setup, not the tokens (policy.MISCONFIGURED_ERRORS), and what each logs.
SETUP_ERRORS = (
    (
        CREDENTIAL_ERRORS,
        "FCM refused our credentials (an APNs or Web Push key in Firebase, the FCM API or the "
        "push sender's role, its OAuth token): the push waits for a later delivery. Devices kept.",
    ),
    (
        frozenset({SENDER_ID_MISMATCH}),
        "FCM refused this project as the tokens' sender: is GOOGLE_CLOUD_PROJECT the apps' "
        "Firebase project? Devices kept.",
    ),
)


@dataclass(frozen=True)
class Claim:
    state: Literal["claimed", "duplicate", "busy"]
    sent: frozenset[str] = frozenset()  # devices that got it in an earlier delivery
    slot_taken: bool = False  # counted against the daily cap already
    deliveries: int = 1


@dataclass(frozen=True)
class UserPush:
    doc: dict | None  # users/{uid}: settings
    devices: list[Device] = field(default_factory=list)
    erasure_requested_at: datetime | None = None  # the user's last erasure (DELETE /v2/profile)
    activity: dict | None = None  # activity/{uid}: their latest turns and crisis turn


class PushStore(Protocol):
    def begin(
        self, notification_id: str, *, uid: str, release: bool, now: datetime, lease: int
    ) -> Claim:
        """Claim a notification for delivery; a decided one is a duplicate. The record names
        its owner (`uid`): the user's export lists it and their erasure deletes it."""

    def read_user(self, uid: str, ukey: str) -> UserPush: ...

    def take_slot(self, note: Notification, *, day: str, cap: int, now: datetime) -> bool:
        """Count the notification against the user's cap for `day`; False when it is full.
        Raises ErasureInProgress when the user's erasure began after `note` was made (as
        `defer` does)."""

    def mark_sent(self, notification_id: str, device_ids: list[str]) -> None: ...

    def remove_devices(self, uid: str, device_ids: list[str]) -> None: ...

    def defer(
        self,
        note: Notification,
        *,
        due_at: datetime,
        reason: str,
        now: datetime,
        delivery: int,
        events: list,
    ) -> bool:
        """Keep the notification until `due_at`, replacing an older one with its collapse key;
        False when a newer one with the same key is already waiting. Raises Busy when the
        record is no longer held by this delivery (Claim.deliveries)."""

    def finish(
        self,
        notification_id: str,
        *,
        status: str,
        reason: str | None,
        now: datetime,
        events: list[Event],
    ) -> bool:
        """Record how a delivery ended, with its events in the outbox; False when the record
        is gone (the user's erasure deleted it meanwhile): nothing recorded."""
        ...

    def claim_due(self, *, now: datetime, limit: int, lease: int) -> list[Notification]:
        """Waiting notifications that are due, each leased so no other release takes it."""

    def drop_waiting(self, note: Notification) -> None:
        """Forget the waiting copy of this notification (not a newer one that replaced it)."""


class PushSender(Protocol):
    def send(self, note: Notification, devices: list[Device]) -> list[SendResult]:
        """One message per device, in batches FCM accepts; one result per device, in order."""


OutcomeStatus = Literal["sent", "failed", "suppressed", "deferred", "duplicate", "busy"]


@dataclass(frozen=True)
class Outcome:
    status: OutcomeStatus
    reason: str | None = None
    sent: int = 0
    removed: int = 0


# The line of a delivery's outcome: the push sender's for each message, the release's for each
# that failed. The failed pushes' log-based metric reads it (terraform/modules/monitoring).
PUSH_LINE = "push"


def outcome_fields(note: Notification, outcome: Outcome) -> dict[str, Any]:
    return {
        "notification_id": note.notification_id,
        "kind": note.kind,
        "status": outcome.status,
        "reason": outcome.reason,
        "sent": outcome.sent,
        "removed_tokens": outcome.removed,
    }


class Busy(Exception):
    """Another delivery of this notification is under way: let Pub/Sub try again later."""


@dataclass
class _Sending:
    sent: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)  # SENDER_ID_MISMATCH
    errors: Counter = field(default_factory=Counter)
    retry: list[Device] = field(default_factory=list)
    wait: float = 0.0  # how long from now the retry should wait


def _send_with_retries(
    *,
    note: Notification,
    devices: list[Device],
    store: PushStore,
    sender: PushSender,
    settings: Settings,
    sleep: Callable[[float], None],
    monotonic: Callable[[], float],
    deadline: float,
) -> _Sending:
    """Send, and send again what FCM throttled or failed, with backoff that honours Retry-After,
    as long as the wait stays within the budget and the next call can end by `deadline`
    (monotonic); what is left is for a later delivery."""
    out, pending, waited = _Sending(), devices, 0.0
    by_id = {d.device_id: d for d in devices}
    for attempt in range(settings.push_retry_attempts):
        results = sender.send(note, pending)
        ok = [r.device_id for r in results if r.ok]
        if ok:
            store.mark_sent(note.notification_id, ok)  # before anything else can fail
        out.sent += ok
        retry = [r for r in results if is_retryable(r)]
        for r in results:
            if not r.ok and r not in retry:
                out.errors[r.error or "unknown"] += 1
                if r.error in DEAD_TOKEN_ERRORS:
                    out.dead.append(r.device_id)
                elif r.error in CREDENTIAL_ERRORS:  # kept, and sent again once they are mended
                    out.retry.append(by_id[r.device_id])
                elif r.error == SENDER_ID_MISMATCH:
                    out.mismatched.append(r.device_id)
        if not retry:
            return out
        pending = [by_id[r.device_id] for r in retry]
        delay = retry_delay(
            attempt,
            retry_after=max(wait_asked(r) for r in retry),
            base=settings.push_retry_base_seconds,
        )
        last = attempt == settings.push_retry_attempts - 1
        late = monotonic() + delay + FCM_CALL_SECONDS > deadline
        if last or late or waited + delay > settings.push_retry_max_wait_seconds:
            out.retry, out.wait = out.retry + pending, waited + delay
            out.errors.update(r.error or "no_answer" for r in retry)
            return out
        log.info("push retry", extra={"attempt": attempt + 1, "delay": delay})
        sleep(delay)
        waited += delay
    return out


def deliver(
    *,
    note: Notification,
    store: PushStore,
    sender: PushSender,
    outbox: OutboxStore,
    publisher: EventPublisher,
    settings: Settings,
    now: datetime,
    sleep: Callable[[float], None],
    release: bool = False,
    monotonic: Callable[[], float] = time.monotonic,
    deadline: float | None = None,
) -> Outcome:
    """Deliver one notification. FCM is asked again only if that call can end by `deadline`
    (monotonic; by default DEADLINE_SECONDS from now: a delivery in an invocation of its own)."""
    if deadline is None:
        deadline = monotonic() + DEADLINE_SECONDS
    claim = store.begin(
        note.notification_id, uid=note.uid, release=release, now=now, lease=LEASE_SECONDS
    )
    if claim.state == "duplicate":
        return Outcome("duplicate")
    if claim.state == "busy":
        raise Busy(note.notification_id)
    ukey = user_key(note.uid, settings.analytics_hmac_key())
    user = store.read_user(note.uid, ukey)
    if user.erasure_requested_at and user.erasure_requested_at >= note.created_at:
        # Made for the account the user erased since: no push, and no event under their key,
        # which would be an analytics row the erasure has already swept past.
        store.finish(note.notification_id, status="suppressed", reason="erased", now=now, events=[])
        return Outcome("suppressed", "erased")
    prefs = settings_of(user.doc)

    def event(kind: str, **data) -> Event:
        return Event(
            type=kind,
            occurred_at=now,
            user_key=None if prefs.anonymize_analytics else ukey,
            data={"notification_id": note.notification_id, "kind": note.kind, **data},
            subject=ukey,
        )

    def finish(status: OutcomeStatus, reason: str | None, events: list[Event], **kw) -> Outcome:
        if store.finish(note.notification_id, status=status, reason=reason, now=now, events=events):
            deliver_now(events, publisher=publisher, outbox=outbox, now=now)
        return Outcome(status, reason, **kw)

    def wait(due_at: datetime, reason: str) -> Outcome:
        events = [event("push.deferred", reason=reason, due_at=due_at.isoformat())]
        if not store.defer(
            note, due_at=due_at, reason=reason, now=now, delivery=claim.deliveries, events=events
        ):
            return finish("suppressed", "replaced", [event("push.suppressed", reason="replaced")])
        deliver_now(events, publisher=publisher, outbox=outbox, now=now)
        return Outcome("deferred", reason)

    def summary(sent: int, result: _Sending, **more) -> dict:
        """What push.sent and push.failed tell of a delivery that reached FCM."""
        return {
            "devices": sent,
            "failed_devices": sum(result.errors.values()),
            "removed_tokens": len(result.dead),
            "errors": dict(result.errors),
            "collapse_key": note.collapse_key,
            "released": release,
            "deliveries": claim.deliveries,
            **more,
        }

    devices = [d for d in user.devices if d.device_id not in claim.sent]
    if claim.sent and not devices:  # every device got it before a crash or a retry
        sent = len(claim.sent)
        return finish("sent", None, [event("push.sent", devices=sent)], sent=sent)

    # A nudge is judged again as it goes (it may have waited out the quiet hours), with the
    # user's settings as they are now. A weekly insight only for a crisis turn in its week since
    # it was made: it tells the week it names, still true after a later turn.
    def withhold(why: str) -> Outcome:
        """What is not sent yet stays unsent. If an earlier delivery showed it on some device
        (the others' send failed and waited for this retry), it was sent, and the user may well
        have acted on it: the reason spares only the devices still without it."""
        if not claim.sent:
            return finish("suppressed", why, [event("push.suppressed", reason=why)])
        sent = len(claim.sent)
        more = {"withheld": why, "withheld_devices": len(devices)}
        return finish(
            "sent", None, [event("push.sent", **summary(sent, _Sending(), **more))], sent=sent
        )

    # Stale (quiet hours and every redelivery waited out): sent now it would show as new, and
    # FCM was told to drop it by now (its lifespan), so nothing is sent.
    if lifespan(note.created_at, now, settings.push_max_deliveries) <= timedelta(0):
        return withhold("stale")
    if note.kind == REENGAGEMENT and (why := withhold_reason(note, user.activity, prefs, now=now)):
        return withhold(why)
    if note.kind == WEEKLY_INSIGHT:
        activity = user.activity or {}
        if why := week_withheld(
            crisis_at=activity.get("crisis_at"),
            heavy_at=activity.get("heavy_at"),
            leaning_at=activity.get("leaning_at"),
            now=note.created_at,
        ):
            return withhold(why)
    # The producers skip users who never set a time zone; this holds back one that reached
    # the sender anyway (made before that rule, or by another producer).
    unknown = note.kind in SCHEDULED and not timezone_set(user.doc)
    decision = decide(settings=prefs, devices=len(devices), now=now, timezone_unknown=unknown)
    if decision.action == "suppress":
        return withhold(decision.reason or "suppressed")
    if decision.action == "defer":
        assert decision.due_at is not None
        return wait(decision.due_at, decision.reason or "quiet_hours")
    if not claim.slot_taken and not store.take_slot(
        note, day=local_day(now, prefs.timezone), cap=settings.push_daily_cap, now=now
    ):
        return finish("suppressed", "daily_cap", [event("push.suppressed", reason="daily_cap")])

    result = _send_with_retries(
        note=nudge_as_sent(note) if note.kind == REENGAGEMENT else note,
        devices=devices,
        store=store,
        sender=sender,
        settings=settings,
        sleep=sleep,
        monotonic=monotonic,
        deadline=deadline,
    )
    setup = {e: n for e, n in result.errors.items() if e in MISCONFIGURED_ERRORS}
    if result.mismatched and result.sent:
        # Another device got this push: the project is right, and these tokens are from
        # another Firebase project (a staging build, one registered by hand). Each one's
        # re-registration keeps it from ageing out with the stale devices, so it is deleted
        # like a dead token, not an alert with every push to the user.
        result.dead += result.mismatched
        del setup[SENDER_ID_MISMATCH]
    if result.dead:
        store.remove_devices(note.uid, result.dead)
    # Once a delivery, however many devices FCM refused (docs/OPERATIONS.md, "Needs an operator").
    for codes, message in SETUP_ERRORS:
        if refused := {e: n for e, n in setup.items() if e in codes}:
            extra = {"errors": refused, "notification_id": note.notification_id}
            log.error(message, extra={**extra, NEEDS_OPERATOR: True})
    if result.retry and claim.deliveries < settings.push_max_deliveries:
        # Longer after each delivery, so that an FCM outage of hours is outlasted; never
        # sooner than FCM asked (its Retry-After is in result.wait) or the backoff went.
        delay = max(result.wait, redelivery_delay(claim.deliveries))
        return wait(now + timedelta(seconds=delay), "retry")
    sent = len(result.sent) + len(claim.sent)
    if sent:
        return finish(
            "sent",
            None,
            [event("push.sent", **summary(sent, result))],
            sent=sent,
            removed=len(result.dead),
        )
    reason = "retries_exhausted" if result.retry else "all_devices_failed"
    return finish(
        "failed",
        reason,
        [event("push.failed", reason=reason, **summary(sent, result))],
        removed=len(result.dead),
    )


@dataclass(frozen=True)
class ReleaseReport:
    released: int
    outcomes: dict[str, int]


def release_due(
    *,
    store: PushStore,
    sender: PushSender,
    outbox: OutboxStore,
    publisher: EventPublisher,
    settings: Settings,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
    monotonic: Callable[[], float] = time.monotonic,
    budget_seconds: float = RELEASE_BUDGET_SECONDS,
    executor: Callable[[int], Executor] = ThreadPoolExecutor,
) -> ReleaseReport:
    """Deliver the waiting notifications that are due (quiet hours over, retry time come),
    PUSH_RELEASE_WORKERS at once, batch after batch until none is due or the time budget is
    spent; then wait for the deliveries under way. A delivery is ~15 sequential Firestore round
    trips and an FCM call, 210-465 ms: one at a time, a run released 86-190, and 20,000 weekly
    insights due at once (one time zone's morning) took 9-19 hours to go out. 16 at once
    release about 1,150-2,600 a run of 35 s at 14-31 ms a Firestore round trip
    (docs/CAPACITY.md, measured as 1,300-2,950 in 40 s), if the instance's vCPU keeps up: those
    20,000 go out in 8-18 runs, the last 35-85 minutes after they were due. claim_due leases a
    page in one commit: while it leased one notification after another here, no delivery
    started, and a run released 650-1,450.

    No notification is delivered twice at once: claim_due leases each with a precondition, so
    neither another run nor this run's next page takes it while its delivery runs, and
    `deliver` claims its record in a transaction that finds a live lease busy."""
    outcomes: Counter = Counter()
    released = 0
    started = monotonic()
    deadline = started + DEADLINE_SECONDS  # for the deliveries' FCM calls
    workers = settings.push_release_workers
    in_flight: set[Future[str]] = set()

    def time_left() -> bool:
        return monotonic() - started < budget_seconds

    def release(note: Notification) -> str:
        try:
            outcome = deliver(
                note=note,
                store=store,
                sender=sender,
                outbox=outbox,
                publisher=publisher,
                settings=settings,
                now=clock(),  # quiet hours and the daily cap as they are when it goes
                sleep=sleep,
                release=True,
                monotonic=monotonic,
                deadline=deadline,
            )
            if outcome.status == "failed":  # a retried push ends here, after its deliveries
                log.info(PUSH_LINE, extra=outcome_fields(note, outcome))
            if outcome.status != "deferred":  # deferred again: the waiting copy has a new due
                store.drop_waiting(note)  # time; a copy left here finds its record final later
        except Busy:
            return "busy"  # its lease runs out and a later release takes it
        except Exception:  # one bad notification must not hold up the others
            # Counted only in the run's line otherwise: the alert on needs_operator tells.
            log.exception(
                "push release failed",
                extra={"notification": note.notification_id, NEEDS_OPERATOR: True},
            )
            return "error"  # leased: a later release tries it again
        return outcome.status

    def settle(return_when: str) -> None:
        nonlocal in_flight
        done, in_flight = wait(in_flight, return_when=return_when)
        outcomes.update(future.result() for future in done)

    with executor(workers) as pool:
        while time_left():
            notes = store.claim_due(
                now=clock(), limit=settings.push_release_batch, lease=LEASE_SECONDS
            )
            if not notes:
                break
            for note in notes:
                if len(in_flight) >= workers:
                    settle(FIRST_COMPLETED)  # until a worker is free
                if not time_left():  # the rest stay leased; a later release takes them after that
                    outcomes["left_for_next_run"] += 1
                    continue
                released += 1
                in_flight.add(pool.submit(release, note))
        # Those under way finish: each started its first FCM call within the budget and starts
        # no retry that could end after the deadline, inside the function's timeout.
        settle(ALL_COMPLETED)
    return ReleaseReport(released=released, outcomes=dict(outcomes))
