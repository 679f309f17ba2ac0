-- Crisis turns per day from start_day to end_day, locale, detector and reply: analysis_source
-- (the persona model's version; "baseline" when the model did not answer; "baseline_not_english"
-- for a message not in English, which the model does not read), detected_by
-- (what said crisis: "model", "patterns", "model+patterns", or "safety_answer" for a no to "Are
-- you safe right now?"; NULL for events from before it was recorded) and reply (the crisis
-- reply shown: "first", "again" after a no, "taken_back" for the words just answered taken
-- back, "i'm not going to kill myself, it was a joke", "someone_else" for a user reporting
-- another person's crisis, "my friend wants to kill herself", or "emergency" for a physical
-- emergency now, "I think I'm having a heart attack", answered with the emergency number first;
-- NULL before it was recorded; the patterns' kinds are in payload.kinds). Users in
-- crisis themselves: leave out reply = 'someone_else'. Counts and distinct users only, never
-- any text. The `crisis_counts` view is this over all time.
-- Days older than the shortest retention (30 days) are undercounted and biased: the cleanup
-- deletes keyed users' events after their retention (turns_between.sql); daily_activity's
-- `crises` keeps each day's figure.
-- These are the safety.crisis_detected events, not daily_activity's `crises` (stored turns
-- answered as a crisis): they include crises answered but not stored (storage down, past the
-- request budget or the crisis pace), which `stored_crises` leaves out; and a script's unstored
-- crisis turns send at most one event a minute per user, so those are undercounted here.
WITH crises AS (
  SELECT
    occurred_at,
    user_key,
    analysis_source,
    -- a column newer than the event: earlier events have it in the payload only
    COALESCE(locale, JSON_VALUE(payload, '$.locale')) AS locale,
    JSON_VALUE(payload, '$.detected_by') AS detected_by,
    JSON_VALUE(payload, '$.reply') AS reply,
    -- false for a crisis answered, not stored; missing on events from before it was recorded
    JSON_VALUE(payload, '$.stored') AS stored
  FROM `${project}.${dataset}.events`
  WHERE type = 'safety.crisis_detected'
    -- the range's UTC days, before the copies are removed: they share occurred_at
    -- (turns_between.sql)
    AND occurred_at >= TIMESTAMP(${start_day})
    AND occurred_at < TIMESTAMP(DATE_ADD(${end_day}, INTERVAL 1 DAY))
  QUALIFY ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY ingested_at) = 1
)
SELECT
  DATE(occurred_at) AS day,
  locale,
  analysis_source,
  detected_by,
  reply,
  COUNT(*) AS crises,
  COUNTIF(stored IS NULL OR stored = 'true') AS stored_crises,
  COUNT(DISTINCT user_key) AS users,
  COUNTIF(user_key IS NULL) AS anonymous_crises
FROM crises
GROUP BY day, locale, analysis_source, detected_by, reply
