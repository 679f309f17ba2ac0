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

What the job holds does not grow with the ratings: the persona cells and the on-policy figures
need only counts and sums, which BigQuery returns by group (`read_rated_groups`: a few thousand
rows however many turns were rated); only the off-policy replay needs turns one by one, and
reads only those it can use, at most `max_rows` of them (`read_rated_turns`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from common.adapters.bigquery_calls import run_query
from common.personalization.offline_eval import NOT_CHOSEN_BY_POLICY

# Seconds the job waits for each query before cancelling it; BigQuery stops it a minute later
# by itself (job_timeout_ms), should the job die meanwhile.
QUERY_SECONDS = 900.0
# The window's turns (one row per turn_id, first copy wins) with `columns`, joined with the
# rating that stands for each.
QUERY = """
WITH turns AS (
  SELECT {columns}
  FROM `{project}.{dataset}.events`
  WHERE type = 'chat.turn.completed' AND turn_id IS NOT NULL
    AND occurred_at >= @since AND occurred_at < @until
  QUALIFY ROW_NUMBER() OVER (PARTITION BY turn_id ORDER BY ingested_at, event_id) = 1
)
SELECT {select}
FROM turns AS t
JOIN `{project}.{dataset}.feedback_final` AS f ON f.turn_id = t.turn_id
WHERE f.satisfaction IS NOT NULL AND f.occurred_at >= @since AND f.occurred_at < @until{where}
{tail}
"""
# The replay's turns: read by one model, a keyed user's (an anonymised one's logs no profile),
# the persona chosen by a policy (offpolicy.unreplayable's test). Of the payload only the two
# paths the replay reads (BigQuery stores a JSON column path by path). A fixed sample beyond
# `max_rows`: the turns of the smallest fingerprints, the same on every run, and as likely to
# be in it whatever their rating or persona.
REPLAYABLE = """
  AND t.analysis_source = @read_by AND t.user_key IS NOT NULL
  AND IFNULL(t.persona_source, '') NOT IN UNNEST(@not_chosen)"""
SAMPLED = "ORDER BY FARM_FINGERPRINT(t.turn_id), t.turn_id\nLIMIT @max_rows"
TURN_COLUMNS = "turn_id, user_key, persona, persona_source, tone, intent, crisis, analysis_source"


class FeedbackQueryError(RuntimeError):
    """BigQuery would not answer a ratings query within its bounds (bytes, time)."""


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

    # A rated turn is a RatedGroup of one: what counts ratings takes either.
    n = 1

    @property
    def reward_sum(self) -> float:
        return self.reward

    @property
    def keyed(self) -> bool:
        return self.user_key is not None

    @property
    def in_range(self) -> bool:
        return 0.0 <= self.reward <= 1.0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RatedTurn:
        scores, profile = _json(row.get("scores")), _json(row.get("profile"))
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
            profile=profile if isinstance(profile, dict) else None,
            user_key=row.get("user_key"),
        )


@dataclass(frozen=True)
class RatedGroup:
    """The rated turns alike in all that the persona cells (trainset.usable) and the on-policy
    figures (offpolicy) look at: how many, and their ratings' sum."""

    persona: str | None
    n: int
    reward_sum: float
    tone: str | None = None
    intent: str | None = None
    crisis: bool | None = None
    persona_source: str | None = None
    analysis_source: str | None = None
    keyed: bool = True  # a user's with a user_key (not anonymised)
    in_range: bool = True  # the ratings are in [0, 1] (the sink refuses others: always)


Rated = RatedTurn | RatedGroup


def _json(value: Any) -> Any:
    """A JSON column's value: parsed by the client, or its text (the local emulator's)."""
    return json.loads(value) if isinstance(value, str) else value


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


def read_rated_groups(
    client: Any,
    *,
    project: str,
    dataset: str,
    since: datetime,
    until: datetime,
    max_bytes_billed: int | None = None,
) -> list[RatedGroup]:
    """Every turn rated from `since` to `until`, with its last rating, counted by group. A fixed
    window reads the same turns again (the retraining job's retries)."""
    sql = QUERY.format(
        project=project,
        dataset=dataset,
        columns=TURN_COLUMNS,
        select="t.persona, t.tone, t.intent, t.crisis, t.persona_source, t.analysis_source, "
        "t.user_key IS NOT NULL AS keyed, f.satisfaction BETWEEN 0 AND 1 AS in_range, "
        # ratings are multiples of 1/4 (explicit_reward): their sum is exact in whatever order
        # BigQuery adds them, so a retry counts the same cells (the challenger's version hashes
        # them)
        "COUNT(*) AS n, SUM(f.satisfaction) AS reward_sum",
        where="",
        tail="GROUP BY 1, 2, 3, 4, 5, 6, 7, 8\nORDER BY 1, 2, 3, 4, 5, 6, 7, 8",
    )
    rows = _query(client, sql, _window(since, until), max_bytes_billed)
    return [RatedGroup(**{**row, "reward_sum": float(row["reward_sum"])}) for row in rows]


def read_rated_turns(
    client: Any,
    *,
    project: str,
    dataset: str,
    since: datetime,
    until: datetime,
    max_rows: int,
    read_by: str | None = None,
    max_bytes_billed: int | None = None,
) -> list[RatedTurn]:
    """The turns rated from `since` to `until`, one by one, at most `max_rows` (a fixed sample
    beyond); with `read_by`, only those the off-policy replay of that model can use."""
    from google.cloud import bigquery

    params = [*_window(since, until), bigquery.ScalarQueryParameter("max_rows", "INT64", max_rows)]
    where = ""
    if read_by is not None:
        where = REPLAYABLE
        params += [
            bigquery.ScalarQueryParameter("read_by", "STRING", read_by),
            bigquery.ArrayQueryParameter("not_chosen", "STRING", sorted(NOT_CHOSEN_BY_POLICY)),
        ]
    sql = QUERY.format(
        project=project,
        dataset=dataset,
        columns=f"{TURN_COLUMNS}, propensity, local_hour, "
        "JSON_QUERY(payload, '$.scores') AS scores, JSON_QUERY(payload, '$.profile') AS profile",
        select="t.*, f.satisfaction",
        where=where,
        tail=SAMPLED,
    )
    return parse_rows(_query(client, sql, params, max_bytes_billed))


def parse_rows(rows: Iterable[dict[str, Any]]) -> list[RatedTurn]:
    return [RatedTurn.from_row(row) for row in rows]


def _window(since: datetime, until: datetime) -> list[Any]:
    from google.cloud import bigquery

    return [
        bigquery.ScalarQueryParameter("since", "TIMESTAMP", since),
        bigquery.ScalarQueryParameter("until", "TIMESTAMP", until),
    ]


def _query(
    client: Any, sql: str, params: list[Any], max_bytes_billed: int | None
) -> list[dict[str, Any]]:
    """The rows, or FeedbackQueryError saying which bound BigQuery stopped the query at."""
    from google.api_core import exceptions
    from google.cloud import bigquery

    config = bigquery.QueryJobConfig(
        query_parameters=params,
        maximum_bytes_billed=max_bytes_billed,
        job_timeout_ms=int((QUERY_SECONDS + 60) * 1000),
    )
    try:
        return run_query(client, sql, config, wait_seconds=QUERY_SECONDS)
    except TimeoutError:
        raise FeedbackQueryError(
            f"the ratings query took over {QUERY_SECONDS:.0f} s and was cancelled"
        ) from None
    except exceptions.GoogleAPIError as e:
        reasons = {err.get("reason") for err in getattr(e, "errors", None) or ()}
        if "bytesBilledLimitExceeded" in reasons or "bytes billed" in str(e):
            raise FeedbackQueryError(
                f"BigQuery refused the ratings query: it would bill more than "
                f"{max_bytes_billed:,} bytes ({e}). Shorten --feedback-days or raise "
                "--feedback-max-gib (docs/CAPACITY.md section 6: what a run reads)"
            ) from None
        raise
