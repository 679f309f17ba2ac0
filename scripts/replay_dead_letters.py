"""Replay dead letters to the topic they came from (OPERATIONS.md, "Dead-letter backlog").

    .venv/bin/python -m scripts.replay_dead_letters --project $P events-dead-letter --dry-run
    .venv/bin/python -m scripts.replay_dead_letters --project $P events-dead-letter

With --database, the Firestore database the functions use if it is not (default)
(firestore_config.name, after a restore): the erasure records it judges by are read there.

By hand a replay goes wrong in ways that leak or lose data, hence a script:
- a payload published without its attributes loses `private` (the analytics sink then stores a
  row the code keeps out of analytics: it links an anonymised user's rows to their keyed ones)
  and `subject` (the profile updater then drops the event it was replayed for);
- a notification (raw uid, push text) published on `events` would be stored by the sink;
- an event of an erased user's old account would be stored again, and nothing deletes it then;
- a notification older than a push may wait would go out as new: a weekly insight of weeks ago
  replacing this week's on the phone (the same collapse key).
Letters held back stay in the subscription, unacknowledged, and are listed; an erased
account's are acknowledged without a replay.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from common.adapters.firestore_profiles import ERASURES, of_erased_account
from common.config import Settings
from common.events import occurred_at_of
from common.push.models import RELEASE_DUE
from common.push.policy import longest_wait
from scripts.operator_errors import EXIT_STATUS, google_errors, report

# A dead-letter subscription and the only topic its letters may go back to.
ROUTES = {"events-dead-letter": "events", "notifications-dead-letter": "notifications"}
# Added by Pub/Sub's dead-lettering (CloudPubSubDeadLetter*) or by the analytics sink's own
# (common/analytics/sink.py): about the failure, not part of the event.
ADDED_PREFIXES = ("CloudPubSubDeadLetter", "dead_letter_reason", "original_message_id")
PULL_BATCH = 100
HELD_BACK = 3  # the exit status when letters were held back (2 is an error's)
HOLD_SECONDS = 600  # letters held back stay leased while the run lasts, so a pull skips them
HOLD_MARGIN = 60  # the run stops this long before the first held letter's lease runs out
RELEASE_BATCH = 1000  # ack ids per request releasing the held letters
# A notification older than this is stale (~33 h: with PUSH_MAX_DELIVERIES' default, which
# Terraform keeps).
STALE_NOTIFICATION = longest_wait(Settings.model_fields["push_max_deliveries"].default)


@dataclass(frozen=True)
class Verdict:
    action: Literal["replay", "drop", "hold"]  # drop: acknowledged and not replayed
    reason: str = ""


def replay_attributes(attributes: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in attributes.items() if not k.startswith(ADDED_PREFIXES)}


def judge(
    data: bytes,
    attributes: dict[str, str],
    *,
    notifications: bool,
    erasure: Callable[[str], dict | None],
    now: datetime | None = None,
) -> Verdict:
    """What to do with one letter bound for the notifications topic or, if not, the events
    topic; `erasure` reads erasures/{user_key}; `now`: the replay's time (else the clock's)."""
    try:
        envelope = json.loads(data)
        kind = str(envelope["type"])
        # Scheduler's notification.release_due has no time: the push sender needs none.
        occurred_at = None if kind == RELEASE_DUE else occurred_at_of(envelope["occurred_at"])
    except (ValueError, KeyError, TypeError):
        return Verdict("hold", "undecodable: fix or drop it by hand")
    if kind.startswith("notification.") != notifications:
        return Verdict("hold", f"a {kind} letter on the wrong subscription")
    if notifications:
        # By its age (occurred_at is its created_at), not by the week a weekly insight names:
        # one made on Sunday waits out quiet hours into Monday (UTC) for users east of UTC.
        if occurred_at and (now or datetime.now(UTC)) - occurred_at > STALE_NOTIFICATION:
            made = occurred_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
            return Verdict("drop", f"stale: made {made}, longer ago than a push may wait")
        # A notification of a user erased since is dropped by the push sender (reason `erased`).
        return Verdict("replay")
    key = attributes.get("subject") or envelope.get("user_key")
    record = erasure(key) if key else None
    # The updater's rule. (occurred_at is None only for release_due, a notification.)
    if record is not None and occurred_at and of_erased_account(record, occurred_at):
        return Verdict("drop", "of the erased account")
    return Verdict("replay")


def replay(
    subscriber: Any,
    publisher: Any,
    subscription: str,
    topic: str,
    *,
    notifications: bool,
    erasure: Callable[[str], dict | None],
    dry_run: bool = False,
    limit: int | None = None,
    say: Callable[[str], None] = print,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, int]:
    """Pull the letters of `subscription` (a full path) and replay them to `topic` (a full path),
    each acknowledged only once its replay was published. `notifications`: `topic` is the
    notifications topic (else it is the events topic).

    A letter held back (every one in a dry run) is leased for HOLD_SECONDS, Pub/Sub's most: the
    run stops before the first lease runs out, or when a letter comes back anyway, else it would
    pull the held letters again and list them over and over."""
    counts = {"replay": 0, "drop": 0, "hold": 0}
    held: list[str] = []
    seen: set[str] = set()
    first_held: float | None = None
    stopped = ""
    try:
        for batch in _pull(subscriber, subscription, limit):
            for received in batch:
                message = received.message
                if message.message_id in seen:
                    held.append(received.ack_id)  # leased again by this pull: release it too
                    stopped = stopped or f"letter {message.message_id} came back: its lease ran out"
                    continue
                seen.add(message.message_id)
                attributes = dict(message.attributes)
                verdict = judge(
                    message.data, attributes, notifications=notifications, erasure=erasure
                )
                counts[verdict.action] += 1
                label = attributes.get("event_id") or message.message_id
                if verdict.action != "replay" or dry_run:
                    say(f"{verdict.action:6} {label} {attributes.get('type', '')} {verdict.reason}")
                if verdict.action == "hold" or dry_run:
                    held.append(received.ack_id)
                    subscriber.modify_ack_deadline(
                        subscription=subscription,
                        ack_ids=[received.ack_id],
                        ack_deadline_seconds=HOLD_SECONDS,
                    )
                    first_held = clock() if first_held is None else first_held
                    continue
                if verdict.action == "replay":
                    publisher.publish(topic, message.data, **replay_attributes(attributes)).result(
                        timeout=60
                    )
                subscriber.acknowledge(subscription=subscription, ack_ids=[received.ack_id])
            say(f"... {len(seen)} letters so far")
            if first_held is not None and clock() - first_held > HOLD_SECONDS - HOLD_MARGIN:
                stopped = f"{HOLD_SECONDS - HOLD_MARGIN} s since the first letter was held"
            if stopped:
                break
    finally:
        # back to the subscription at once, for the operator or the next run; in chunks, as a
        # request has a bounded size
        for start in range(0, len(held), RELEASE_BATCH):
            subscriber.modify_ack_deadline(
                subscription=subscription,
                ack_ids=held[start : start + RELEASE_BATCH],
                ack_deadline_seconds=0,
            )
    if stopped:
        say(f"stopped after {len(seen)} letters ({stopped}): run again for the rest")
    verb = "would replay" if dry_run else "replayed"
    say(f"{verb} {counts['replay']}, dropped {counts['drop']}, held back {counts['hold']}")
    return counts


def _pull(subscriber: Any, subscription: str, limit: int | None) -> Iterator[list[Any]]:
    """The letters, a pull's batch at a time."""
    from google.api_core import exceptions

    seen = 0
    while limit is None or seen < limit:
        batch = PULL_BATCH if limit is None else min(PULL_BATCH, limit - seen)
        try:
            response = subscriber.pull(
                subscription=subscription, max_messages=batch, timeout=15, retry=None
            )
        except exceptions.DeadlineExceeded:
            return
        if not response.received_messages:
            return
        seen += len(response.received_messages)
        yield list(response.received_messages)


def erasure_reader(db: Any) -> Callable[[str], dict | None]:
    def erasure(key: str) -> dict | None:
        snap = db.collection(ERASURES).document(key).get()
        return snap.to_dict() if snap.exists else None

    return erasure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=f"{EXIT_STATUS}; 3 letters were held back (listed): look at them",
    )
    parser.add_argument(
        "subscription", choices=sorted(ROUTES), help="the dead-letter subscription to replay"
    )
    parser.add_argument("--project", required=True, help="the Google Cloud project id")
    parser.add_argument(
        "--database",
        default="(default)",
        help="the functions' Firestore database (FIRESTORE_DATABASE): its erasure records",
    )
    parser.add_argument("--dry-run", action="store_true", help="list, acknowledge nothing")
    parser.add_argument("--limit", type=int, help="at most this many letters")
    args = parser.parse_args(argv)

    # The module, not `from google.cloud import pubsub_v1`: the package ships no types, and
    # mypy reads google.cloud as the typed clients' namespace, where it finds no such name.
    import google.cloud.pubsub_v1 as pubsub_v1
    from google.cloud import firestore

    try:
        subscriber = pubsub_v1.SubscriberClient()
        publisher = pubsub_v1.PublisherClient()
        counts = replay(
            subscriber,
            publisher,
            subscriber.subscription_path(args.project, args.subscription),
            publisher.topic_path(args.project, ROUTES[args.subscription]),
            notifications=ROUTES[args.subscription] == "notifications",
            erasure=erasure_reader(firestore.Client(project=args.project, database=args.database)),
            dry_run=args.dry_run,
            limit=args.limit,
        )
    except google_errors() as error:
        return report(error)
    return HELD_BACK if counts["hold"] else 0


if __name__ == "__main__":
    sys.exit(main())
