-- Week-over-week engagement: active users, turns, sessions and turns per user, each with the
-- previous week and the relative change (NULL when the previous week had none). Turns per user
-- counts the turns of keyed users only: anonymised users' turns have no user to divide by, and a
-- change in their share must not read as a change in engagement.
WITH weekly AS (
  SELECT
    week_start,
    COUNT(DISTINCT user_key) AS active_users,
    COUNT(*) AS turns,
    COUNTIF(user_key IS NOT NULL) AS keyed_turns,
    COUNT(DISTINCT session_id) AS sessions
  FROM `${project}.${dataset}.turns`
  GROUP BY week_start
),
paired AS (
  SELECT
    w.*,
    SAFE_DIVIDE(w.keyed_turns, w.active_users) AS turns_per_user,
    p.active_users AS prev_active_users,
    p.turns AS prev_turns,
    p.sessions AS prev_sessions,
    SAFE_DIVIDE(p.keyed_turns, p.active_users) AS prev_turns_per_user
  FROM weekly AS w
  LEFT JOIN weekly AS p ON p.week_start = DATE_SUB(w.week_start, INTERVAL 7 DAY)
)
SELECT
  *,
  SAFE_DIVIDE(active_users - prev_active_users, prev_active_users) AS active_users_change,
  SAFE_DIVIDE(turns - prev_turns, prev_turns) AS turns_change,
  SAFE_DIVIDE(sessions - prev_sessions, prev_sessions) AS sessions_change,
  SAFE_DIVIDE(turns_per_user - prev_turns_per_user, prev_turns_per_user) AS turns_per_user_change
FROM paired
