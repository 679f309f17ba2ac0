"""Rated turns from the analytics warehouse (BigQuery), for the retraining job.

What BigQuery holds about a turn (`chat.turn.completed`, see common/chat/records.py): the labels
the turn was read with (tone, pace, intent: the model's, or the baseline's when the model was
down), the crisis flag, which model answered (`analysis_source`, the model_version), the persona
shown and how it was chosen (`persona_source`, `propensity`, every persona's ensemble score and
the profile the policy saw, in `payload`). Never the message text: analytics is kept free of it
on purpose (privacy). A rating (`feedback.submitted`, the last one per turn counts: the
`feedback_final` view) adds the user's satisfaction with that reply in [0, 1].

So a rating cannot become a training example for a text head: there is no text to learn from,
and the tone/intent it comes with are the model's own predictions, so "confirming" them would
teach the model its own output. What it can teach is which persona suits which kind of message
(trainset.py), and, with the logged propensities, how a ranking would have fared (offpolicy.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Turns (one row per turn_id, first copy wins) joined with the rating that stands for each.
QUERY = """
WITH turns AS (
  SELECT turn_id, user_key, persona, persona_source, propensity, local_hour, tone, intent,
         crisis, analysis_source, payload
  FROM `{project}.{dataset}.events`
  WHERE type = 'chat.turn.completed' AND turn_id IS NOT NULL
    AND occurred_at >= @since AND occurred_at < @until
  QUALIFY ROW_NUMBER() OVER (PARTITION BY turn_id ORDER BY ingested_at, event_id) = 1
)
SELECT t.turn_id, t.user_key, t.persona, t.persona_source, t.propensity, t.local_hour, t.tone,
       t.intent, t.crisis, t.analysis_source, t.payload, f.satisfaction
FROM turns AS t
JOIN `{project}.{dataset}.feedback_final` AS f ON f.turn_id = t.turn_id
WHERE f.satisfaction IS NOT NULL AND f.occurred_at >= @since AND f.occurred_at < @until
ORDER BY t.turn_id
"""


@dataclass(frozen=True)
class RatedTurn:
    """One rated turn as analytics knows it (no text)."""

    turn_id: str
    persona: str  # the persona shown
    reward: float  # the user's satisfaction, in [0, 1]
    tone: str | None = None  # as the turn was read (model or baseline)
    intent: str | None = None
    crisis: bool | None = None
    persona_source: str | None = None  # ensemble, exploration, requested, care, a policy
    analysis_source: str | None = None  # the model_version that read it, or the baseline
    propensity: float | None = None  # P(logging policy shows `persona`)
    local_hour: int | None = None
    scores: dict[str, float] | None = None  # every persona's ensemble score
    profile: dict[str, Any] | None = None  # what the policy saw
    # the pseudonymous user (HMAC of the uid); None for users who anonymise analytics (whose
    # turns also log no profile). The off-policy intervals group a user's turns by it
    user_key: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RatedTurn:
        payload = row.get("payload") or {}
        if isinstance(payload, str):
            payload = json.loads(payload or "{}")
        scores = payload.get("scores")
        return cls(
            turn_id=row["turn_id"],
            persona=row["persona"],
            reward=float(row["satisfaction"]),
            tone=row.get("tone"),
            intent=row.get("intent"),
            crisis=row.get("crisis"),
            persona_source=row.get("persona_source"),
            analysis_source=row.get("analysis_source"),
            propensity=None if row.get("propensity") is None else float(row["propensity"]),
            local_hour=row.get("local_hour"),
            scores={k: float(v) for k, v in scores.items()} if isinstance(scores, dict) else None,
            profile=payload.get("profile") if isinstance(payload.get("profile"), dict) else None,
            user_key=row.get("user_key"),
        )


def bigquery_client(project: str, *, local: bool = False) -> Any:
    """BigQuery, or the emulator at BIGQUERY_EMULATOR_HOST (host:port). A local run without it
    uses the stack's emulator address: the stack sets the variable for its own processes only,
    and from a developer's shell real BigQuery fails (no credentials) or uses their own login."""
    from google.cloud import bigquery

    from common.analytics.local import DEFAULT_HOST
    from common.analytics.warehouse import emulator_client

    emulator = os.environ.get("BIGQUERY_EMULATOR_HOST") or (DEFAULT_HOST if local else None)
    if emulator:
        return emulator_client(emulator, project)
    return bigquery.Client(project=project)


def read_rated_turns(
    client: Any, *, project: str, dataset: str, since: datetime, until: datetime
) -> list[RatedTurn]:
    """Every turn rated from `since` to `until`, with its last rating. A fixed window reads the
    same turns again (the retraining job's retries)."""
    from google.cloud import bigquery

    job = client.query(
        QUERY.format(project=project, dataset=dataset),
        job_config=bigquery.QueryJobConfig(
            query_parameters=[
                bigquery.ScalarQueryParameter("since", "TIMESTAMP", since),
                bigquery.ScalarQueryParameter("until", "TIMESTAMP", until),
            ]
        ),
    )
    return parse_rows(dict(row.items()) for row in job.result())


def parse_rows(rows: Iterable[dict[str, Any]]) -> list[RatedTurn]:
    return [RatedTurn.from_row(row) for row in rows]
