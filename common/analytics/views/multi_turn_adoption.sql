-- Multi-turn adoption per day (the day a session's first turn was taken): sessions, sessions
-- with two or more turns, their share, and turns per session.
WITH sessions AS (
  SELECT session_id, MIN(day) AS day, COUNT(*) AS turns, ANY_VALUE(user_key) AS user_key
  FROM `${project}.${dataset}.turns`
  WHERE session_id IS NOT NULL
  GROUP BY session_id
)
SELECT
  day,
  COUNT(*) AS sessions,
  COUNTIF(turns >= 2) AS multi_turn_sessions,
  COUNTIF(turns >= 2) / COUNT(*) AS multi_turn_share,
  AVG(turns) AS turns_per_session,
  COUNT(DISTINCT IF(turns >= 2, user_key, NULL)) AS multi_turn_users
FROM sessions
GROUP BY day
