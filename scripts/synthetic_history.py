"""Synthetic history: N weeks of realistic events for M users, for demos, tests and benchmarks.

    python -m scripts.synthetic_history --weeks 4 --users 200 [--seed 7] [--to sink|load|pubsub]

Every event is a `common.events.Event` with the fields the services publish, keyed by the real
HMAC of a synthetic uid, and reaches BigQuery through the same row mapping as live events:
- `sink`   (default) the analytics sink's own code (`sink_messages`: mapping, insert with the
           event_id as row id, dead letters) in batches;
- `load`   the same rows in BigQuery load jobs (a backfill; the fastest way to a million events);
- `pubsub` published to the `events` topic, so the running sink function ingests them.
The same seed gives the same events (ids included): a second run adds only duplicates, which the
views ignore. With ION_ENV local (the default) it writes to the local stack's emulators, also from
a shell without the emulator variables; real BigQuery and Pub/Sub need ION_ENV dev or prod
(prod also --i-mean-prod PROJECT: the weekly retraining reads these events' ratings).

How users behave (so segments, churn and satisfaction have something to find): each user joins
at some point in the window, has a weekly session rate (log-normal: a few heavy users), a
favourite intent, and a fit with each persona that decides how they rate. Each week a user may
start to fade (more likely after poor ratings); a fading user's sessions drop by half a week and
after two weeks stop. Turns carry latency, the odd degraded or crisis turn, feedback on about a
third of the turns (a few changed later), and the rare rate-limit refusal.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from common.analytics.rows import to_row
from common.events import Event, user_key
from common.labels import INTENTS, PACES, PERSONA_IDS, TONES

PERSONAS = tuple(PERSONA_IDS)
LOCALES = ("en-US", "en-GB", "de-DE", "fr-FR")
# The persona the router tends to pick for an intent.
INTENT_PERSONA = {
    "problem_solving": "riri",
    "learning": "elro",
    "emotional_support": "lua",
    "decision_making": "elro",
    "planning": "elro",
    "motivation": "riri",
    "feedback": "nana",
    "check_in": "nana",
}


@dataclass
class SyntheticUser:
    index: int
    key: str | None  # None: the user anonymises analytics
    subject: str
    joined: datetime
    sessions_per_week: float
    intent_weights: list[float]
    fit: dict[str, float]  # probability of a positive rating per persona
    utc_offset: int
    fading_since: int | None = None  # week index
    gone: bool = False


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def make_users(*, count: int, seed: int, start: datetime, weeks: int, key: str, anon: float):
    rng = random.Random(f"users-{seed}")
    users = []
    for i in range(count):
        uid = f"synthetic-{seed}-{i}"
        subject = user_key(uid, key)
        # 40 % were there from the start; the others join evenly over the window.
        offset = 0.0 if rng.random() < 0.4 else rng.uniform(0, weeks * 7 - 1)
        favourite = rng.randrange(len(INTENTS))
        weights = [6.0 if j == favourite else rng.uniform(0.2, 1.5) for j in range(len(INTENTS))]
        users.append(
            SyntheticUser(
                index=i,
                key=None if rng.random() < anon else subject,
                subject=subject,
                joined=start + timedelta(days=offset),
                sessions_per_week=min(rng.lognormvariate(math.log(2.2), 0.8), 25.0),
                intent_weights=weights,
                fit={p: rng.uniform(0.35, 0.95) for p in PERSONAS},
                utc_offset=rng.choice((-8, -5, 0, 1, 2, 9)),
            )
        )
    return users


def _turn_events(
    rng: random.Random, user: SyntheticUser, session_id: str, at: datetime, index: int, last
) -> tuple[list[Event], float | None]:
    """One turn: the turn event, maybe a crisis and feedback. Returns the rating given, if any."""
    intent = rng.choices(INTENTS, weights=user.intent_weights)[0]
    tone = rng.choice(TONES)
    ranked = INTENT_PERSONA[intent] if rng.random() < 0.7 else rng.choice(PERSONAS)
    source = "ensemble"
    persona = ranked
    roll = rng.random()
    if roll < 0.08:  # the user picked one of the alternatives
        persona, source = rng.choice([p for p in PERSONAS if p != ranked]), "requested"
    elif roll < 0.11:
        persona, source = rng.choice([p for p in PERSONAS if p != ranked]), "exploration"
    degraded: list[str] = []
    if rng.random() < 0.02:
        degraded.append("persona_model")
    if rng.random() < 0.005:
        degraded.append("reply_generator")
    crisis = rng.random() < 0.003
    latency = rng.lognormvariate(math.log(140.0), 0.45) + (250.0 if degraded else 0.0)
    turn_id = _uuid(rng)
    scores = {p: round(rng.uniform(0.1, 0.9), 4) for p in PERSONAS}
    data = {
        "turn_id": turn_id,
        "turn_index": index,
        "persona": persona,
        "persona_source": source,
        "policy": "static",  # the ensemble chooses (or the user, or exploration)
        "propensity": 1.0 if source == "requested" else round(rng.uniform(0.5, 1.0), 4),
        "scores": scores,
        "alternatives": [p for p in PERSONAS if p != persona][:2],
        "tone": tone,
        "pace": rng.choice(PACES),
        "intent": intent,
        "sentiment": round(rng.uniform(-1, 1), 4),
        "entity_types": [],
        "crisis": crisis,
        "analysis_source": "baseline" if "persona_model" in degraded else "model",
        "generator": "TemplateGenerator",
        "degraded": degraded,
        "client": rng.choice(("v2", "v2", "v2", "legacy")),
        "message_chars": rng.randrange(8, 600),
        "latency_ms": round(latency, 2),
        "local_hour": (at.hour + user.utc_offset) % 24,
        "previous_persona": last,
        "repeat_of_previous": False,
    }

    def event(type_: str, when: datetime, payload: dict) -> Event:
        return Event(
            type_, when, user.key, session_id, payload, event_id=_uuid(rng), subject=user.subject
        )

    events = [event("chat.turn.completed", at, data)]
    if crisis:
        events.append(
            event(
                "safety.crisis_detected",
                at,
                {
                    "turn_id": turn_id,
                    "turn_index": index,
                    "probability": round(rng.uniform(0.6, 1.0), 4),
                    "analysis_source": data["analysis_source"],
                    "locale": rng.choice(LOCALES),
                    "resources_shown": 2,
                },
            )
        )
    reward = None
    if rng.random() < 0.33:
        positive = rng.random() < user.fit[persona]
        rating: str | int = (
            ("up" if positive else "down")
            if rng.random() < 0.6
            else (rng.choice((4, 5)) if positive else rng.choice((1, 2, 3)))
        )
        reward = (
            (1.0 if rating == "up" else 0.0) if isinstance(rating, str) else (int(rating) - 1) / 4
        )
        rated_at = at + timedelta(seconds=rng.randrange(5, 120))
        base = {"turn_id": turn_id, "turn_index": index, "persona": persona, "tone": tone}
        base |= {"intent": intent, "has_comment": False}
        events.append(
            event(
                "feedback.submitted",
                rated_at,
                base | {"rating": rating, "reward": reward, "previous_reward": None},
            )
        )
        if rng.random() < 0.05:  # changed their mind: the last rating stands
            new = "down" if reward >= 0.5 else "up"
            new_reward = 0.0 if new == "down" else 1.0
            events.append(
                event(
                    "feedback.submitted",
                    rated_at + timedelta(minutes=rng.randrange(1, 30)),
                    base | {"rating": new, "reward": new_reward, "previous_reward": reward},
                )
            )
            reward = new_reward
    return events, reward


def user_events(user: SyntheticUser, *, seed: int, start: datetime, end: datetime):
    """All events of one user over the window, in time order within each session."""
    rng = random.Random(f"events-{seed}-{user.index}")
    ratings: list[float] = []
    week = 0
    week_start = start
    while week_start < end and not user.gone:
        week_end = min(week_start + timedelta(days=7), end)
        if week_end > user.joined:
            rate = user.sessions_per_week
            if user.fading_since is not None:
                faded = week - user.fading_since
                if faded >= 2:
                    user.gone = True
                    break
                rate *= 0.5 ** (faded + 1)
            begin = max(week_start, user.joined)
            span = (week_end - begin).total_seconds()
            sessions = _poisson(rng, rate * span / (7 * 86400))
            times = sorted(begin + timedelta(seconds=rng.uniform(0, span)) for _ in range(sessions))
            for at in times:
                yield from _session(rng, user, at, ratings)
            # Poor recent ratings and low engagement make a user more likely to start fading.
            recent = ratings[-6:]
            unhappy = 1 - (sum(recent) / len(recent)) if recent else 0.4
            hazard = 0.03 + 0.22 * unhappy**2 + 0.05 / (1 + rate)
            if user.fading_since is None and rng.random() < hazard:
                user.fading_since = week
        week += 1
        week_start = week_end


def _session(rng: random.Random, user: SyntheticUser, at: datetime, ratings: list[float]):
    session_id = uuid.UUID(int=rng.getrandbits(128), version=4).hex
    yield Event(
        "session.started",
        at,
        user.key,
        session_id,
        {"client": "v2"},
        event_id=_uuid(rng),
        subject=user.subject,
    )
    turns = 1
    while turns < 12 and rng.random() < 0.55:
        turns += 1
    last = None
    for index in range(turns):
        events, reward = _turn_events(rng, user, session_id, at, index, last)
        yield from events
        if reward is not None:
            ratings.append(reward)
        last = events[0].data["persona"]
        at += timedelta(seconds=rng.randrange(20, 240))
    if rng.random() < 0.002:
        yield Event(
            "anomaly.detected",
            at,
            user.key,
            session_id,
            {"reasons": ["burst_minute"], "limited": True, "retry_after": 30},
            event_id=_uuid(rng),
            subject=user.subject,
        )


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def history(
    *, weeks: int, users: int, seed: int, end: datetime, key: str, anonymous_share: float = 0.05
) -> Iterator[Event]:
    """Every event of the synthetic history, user by user."""
    start = end - timedelta(weeks=weeks)
    for user in make_users(
        count=users, seed=seed, start=start, weeks=weeks, key=key, anon=anonymous_share
    ):
        for event in user_events(user, seed=seed, start=start, end=end):
            if event.occurred_at <= end:
                yield event


# Writing the history


class _NoDeadLetters:
    """Synthetic events are well formed by construction: a refused one is a bug, say so."""

    def publish(self, data: bytes, attributes: dict[str, str]) -> None:
        raise SystemExit(f"a synthetic event was refused: {attributes.get('dead_letter_reason')}")


class Writer:
    """Sends batches of events one of three ways (see the module docstring)."""

    def __init__(self, mode: str, *, project: str, dataset: str) -> None:
        self.mode = mode
        self.project = project
        self.dataset = dataset
        self.table = f"{project}.{dataset}.events"
        if mode == "pubsub":
            from common.adapters.pubsub_events import PubSubEventPublisher
            from common.clients import publisher_client

            self._publisher = PubSubEventPublisher(
                publisher_client(), project_id=project, timeout_seconds=30
            )
        else:
            from common.analytics.warehouse import BigQueryRowWriter, emulator_client, provision

            host = os.environ.get("BIGQUERY_EMULATOR_HOST")
            if host:
                self._client = emulator_client(host, project)
            else:
                from google.cloud import bigquery

                self._client = bigquery.Client(project=project)
            self._rows = BigQueryRowWriter(self._client, table=self.table)
            # The dataset, table and views, if they are not there yet (idempotent).
            provision(self._client, project=project, dataset=dataset, strict=False)

    def write(self, events: list[Event]) -> None:
        if not events:
            return
        now = datetime.now(UTC)
        if self.mode == "pubsub":
            for i in range(0, len(events), 1000):
                self._publisher.publish(events[i : i + 1000])
        elif self.mode == "sink":
            from common.analytics.sink import Message, sink_messages

            messages = [Message(e.encode(), e.attributes()) for e in events]
            sink_messages(messages, write=self._rows.insert, dead_letter=_NoDeadLetters(), now=now)
        else:
            self._load([to_row(e.envelope(), now=now) for e in events])

    def _load(self, rows: list[dict]) -> None:
        import io
        import json

        from google.cloud import bigquery

        body = io.BytesIO("\n".join(json.dumps(r) for r in rows).encode())
        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
            write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
        )
        self._client.load_table_from_file(body, self.table, job_config=config).result()


def generate(
    *,
    weeks: int,
    users: int,
    seed: int,
    end: datetime,
    writer: Writer,
    batch: int,
    key: str,
    progress: bool = True,
) -> int:
    """Write the history in batches; returns the number of events."""
    from tqdm import tqdm

    start = end - timedelta(weeks=weeks)
    people = make_users(count=users, seed=seed, start=start, weeks=weeks, key=key, anon=0.05)
    pending: list[Event] = []
    total = 0
    with tqdm(total=users, unit="user", disable=not progress, desc="synthetic history") as bar:
        for user in people:
            for event in user_events(user, seed=seed, start=start, end=end):
                if event.occurred_at <= end:
                    pending.append(event)
            if len(pending) >= batch:
                writer.write(pending)
                total += len(pending)
                pending = []
            bar.update(1)
            bar.set_postfix(events=total + len(pending))
        writer.write(pending)
        total += len(pending)
        bar.set_postfix(events=total)
    return total


def iso_time(value: str) -> datetime:
    """An --end time; UTC when it names no time zone."""
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def main(argv: list[str] | None = None) -> None:
    from common.config import get_settings

    parser = argparse.ArgumentParser(
        prog="python -m scripts.synthetic_history", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--weeks", type=int, default=4, help="weeks of history (default 4)")
    parser.add_argument("--users", type=int, default=200, help="synthetic users (default 200)")
    parser.add_argument("--seed", type=int, default=7, help="the same seed, the same events")
    parser.add_argument(
        "--end", type=iso_time, help="ISO time the history ends (default: now; UTC if no zone)"
    )
    parser.add_argument(
        "--to",
        choices=("sink", "load", "pubsub"),
        default="sink",
        help="through the sink's code, BigQuery load jobs, or the events topic (default sink)",
    )
    parser.add_argument(
        "--dataset", default=get_settings().analytics_dataset, help="the BigQuery dataset"
    )
    parser.add_argument("--batch", type=int, default=5000, help="events per write")
    parser.add_argument(
        "--i-mean-prod",
        metavar="PROJECT",
        help="with ION_ENV=prod, the production project's id: the weekly retraining reads the "
        "ratings these fake events carry",
    )
    args = parser.parse_args(argv)
    if args.weeks < 1 or args.users < 1:
        parser.error("--weeks and --users must be at least 1")
    settings = get_settings()
    if settings.ion_env == "prod" and args.i_mean_prod != settings.project_id:
        parser.error(
            f"ION_ENV=prod writes fake events into {settings.project_id}'s analytics, which the "
            f"weekly retraining reads: add --i-mean-prod {settings.project_id} if you mean it"
        )
    if settings.ion_env == "local":
        # The stack sets the emulator variables for its own processes only: from a plain shell
        # the clients would reach real BigQuery and Pub/Sub (no credentials, or the developer's
        # own project with their login). A local run writes to the stack's emulators.
        from scripts.stack import EMULATOR_ENV

        for name in ("BIGQUERY_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST"):
            os.environ.setdefault(name, EMULATOR_ENV[name])
    end = args.end or datetime.now(UTC)
    print(
        f"writing to {args.to}: project {settings.project_id}, dataset {args.dataset}, "
        f"ION_ENV={settings.ion_env}"
    )
    writer = Writer(args.to, project=settings.project_id, dataset=args.dataset)
    total = generate(
        weeks=args.weeks,
        users=args.users,
        seed=args.seed,
        end=end,
        writer=writer,
        batch=args.batch,
        key=settings.analytics_key.get_secret_value(),
    )
    print(f"{total} events for {args.users} users over {args.weeks} weeks -> {args.to}")


if __name__ == "__main__":
    main()
