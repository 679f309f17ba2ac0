-- Completed chat turns, one row per event (filtered by type before de-duplicating, which reads
-- only the turn events' cluster), with the Monday-based week they fall in.
SELECT
  event_id,
  occurred_at,
  DATE(occurred_at) AS day,
  DATE_SUB(DATE(occurred_at), INTERVAL MOD(EXTRACT(DAYOFWEEK FROM occurred_at) + 5, 7) DAY) AS week_start,
  user_key,
  session_id,
  turn_id,
  turn_index,
  persona,
  persona_source,
  policy,
  tone,
  pace,
  intent,
  crisis,
  degraded,
  model_fallback,
  latency_ms,
  experiment,
  variant
FROM `${project}.${dataset}.events`
WHERE type = 'chat.turn.completed'
QUALIFY ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY ingested_at, occurred_at) = 1
