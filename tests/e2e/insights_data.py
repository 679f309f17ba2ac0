"""Known analytics events for the insights tests: built with the Event envelope, mapped to rows by
the sink's own code (common.analytics.rows) and written by its writer into the stack's BigQuery."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from common import clients
from common.analytics.rows import to_row
from common.analytics.schema import TABLE
from common.analytics.warehouse import BigQueryRowWriter, provision
from common.config import get_settings
from common.events import Event
from common.experiments import Assignment, event_fields
from common.labels import PERSONA_IDS
from scripts import stack


def bigquery() -> Any:
    return clients.bigquery_client()


def ensure_warehouse() -> None:
    """The dataset, events table and views (idempotent; the stack may have made them already)."""
    dataset = get_settings().analytics_dataset
    provision(bigquery(), project=stack.PROJECT, dataset=dataset, replace_views=False)


def insert(events: Iterable[Event], *, duplicate_every: int = 0) -> int:
    """Write the events as the sink would; every n-th one twice (a redelivery)."""
    now = datetime.now(UTC)
    rows = [to_row(e.envelope(), now=now) for e in events]
    if duplicate_every:
        rows += rows[::duplicate_every]
    writer = BigQueryRowWriter(
        bigquery(), table=f"{stack.PROJECT}.{get_settings().analytics_dataset}.{TABLE}"
    )
    for start in range(0, len(rows), 500):
        refused = [r for r in writer.insert(rows[start : start + 500]) if r]
        assert not refused, refused[:3]
    return len(rows)


def turn_event(
    *,
    at: datetime,
    ukey: str,
    session_id: str,
    turn_id: str,
    index: int,
    persona: str,
    assignment: Assignment | None = None,
    source: str = "ensemble",
    intent: str = "learning",
    tone: str = "curious",
    degraded: tuple[str, ...] = (),
    crisis: bool = False,
    latency_ms: float = 120.0,
) -> Event:
    others = [p for p in PERSONA_IDS if p != persona]
    data = {
        "turn_id": turn_id,
        "turn_index": index,
        "persona": persona,
        "persona_source": source,
        "policy": "static",
        "propensity": 1.0,
        "alternatives": others[:2],
        "tone": tone,
        "pace": "steady",
        "intent": intent,
        "sentiment": 0.1,
        "crisis": crisis,
        "analysis_source": "model",
        "generator": "TemplateGenerator",
        "degraded": list(degraded),
        "client": "v2",
        "message_chars": 42,
        "latency_ms": latency_ms,
        "local_hour": at.hour,
        **event_fields(assignment),
    }
    return Event("chat.turn.completed", at, ukey, session_id, data)


def feedback_event(
    *,
    at: datetime,
    ukey: str,
    session_id: str,
    turn_id: str,
    persona: str,
    rating: str | int,
    assignment: Assignment | None = None,
    previous: float | None = None,
) -> Event:
    from common.personalization.preferences import explicit_reward

    data = {
        "turn_id": turn_id,
        "turn_index": 0,
        "persona": persona,
        "rating": rating,
        "reward": explicit_reward(rating),
        "previous_reward": previous,
        "has_comment": False,
        "experiment": assignment.experiment if assignment else None,
        "variant": assignment.variant if assignment else None,
    }
    return Event("feedback.submitted", at, ukey, session_id, data)
