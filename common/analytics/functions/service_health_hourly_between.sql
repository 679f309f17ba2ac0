-- Service health by hour from start_day to end_day (the UTC days' hours), from the events
-- themselves: turn latency p50/p95, the share of degraded turns, the persona-model fallback rate,
-- and error counts (replies the generator failed and the template answered, rate-limit spells,
-- events of a `*.failed` type). The `service_health_hourly` view is this over all time.
-- Days older than 30 undercount and lean towards long-retention and anonymised users (survivor
-- bias: turns_between.sql); for long ranges daily_activity keeps each day's latency, degraded turns
-- and fallbacks.
-- rate_limited counts spells, not refused requests: anomaly.detected is sent on a user's first
-- refusal of a spell only (common/chat/service.py), so a bot refused 40 times is 1.
WITH hourly AS (
  SELECT
    TIMESTAMP_TRUNC(occurred_at, HOUR) AS hour,
    type,
    latency_ms,
    degraded,
    model_fallback,
    JSON_VALUE(payload, '$.limited') AS limited
  FROM `${project}.${dataset}.events`
  WHERE (type IN ('chat.turn.completed', 'anomaly.detected') OR ENDS_WITH(type, '.failed'))
    -- the range's UTC days, before the copies are removed: they share occurred_at
    -- (turns_between.sql)
    AND occurred_at >= TIMESTAMP(${start_day})
    AND occurred_at < TIMESTAMP(DATE_ADD(${end_day}, INTERVAL 1 DAY))
  QUALIFY ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY ingested_at) = 1
)
SELECT
  hour,
  COUNTIF(type = 'chat.turn.completed') AS turns,
  APPROX_QUANTILES(IF(type = 'chat.turn.completed', latency_ms, NULL), 100)[OFFSET(50)]
    AS latency_p50_ms,
  APPROX_QUANTILES(IF(type = 'chat.turn.completed', latency_ms, NULL), 100)[OFFSET(95)]
    AS latency_p95_ms,
  SAFE_DIVIDE(
    COUNTIF(type = 'chat.turn.completed' AND ARRAY_LENGTH(degraded) > 0),
    COUNTIF(type = 'chat.turn.completed')
  ) AS degraded_share,
  SAFE_DIVIDE(COUNTIF(model_fallback), COUNTIF(type = 'chat.turn.completed'))
    AS model_fallback_rate,
  COUNTIF(type = 'chat.turn.completed' AND 'reply_generator' IN UNNEST(degraded))
    AS reply_generator_errors,
  COUNTIF(type = 'anomaly.detected' AND limited = 'true') AS rate_limited,
  COUNTIF(ENDS_WITH(type, '.failed')) AS failed_events,
  COUNTIF(type = 'chat.turn.completed' AND 'reply_generator' IN UNNEST(degraded))
    + COUNTIF(type = 'anomaly.detected' AND limited = 'true')
    + COUNTIF(ENDS_WITH(type, '.failed')) AS errors
FROM hourly
GROUP BY hour
