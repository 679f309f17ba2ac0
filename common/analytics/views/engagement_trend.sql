-- Week-over-week engagement: active users, turns, sessions and turns per user, each with the
-- previous week and the relative change (NULL when the previous week had none). Turns per user
-- counts the turns of keyed users only: anonymised users' turns have no user to divide by, and a
-- change in their share must not read as a change in engagement.
-- The week in progress (the newest turn's) has run for `days` days so far (the last one maybe in
-- part); it is compared with the week before up to the same moment of the week, not with all of
-- it, which read as a drop every day but Sunday. Every other week covers 7.
WITH clock AS (
  SELECT MAX(occurred_at) AS as_of, MAX(week_start) AS this_week
  FROM `${project}.${dataset}.turns`
),
reached AS (
  SELECT
    this_week,
    DATE_DIFF(DATE(as_of), this_week, DAY) + 1 AS days,
    TIMESTAMP_DIFF(as_of, TIMESTAMP(this_week), SECOND) AS into_week  -- seconds since Monday
  FROM clock
),
weekly AS (
  SELECT
    t.week_start,
    COUNT(DISTINCT t.user_key) AS active_users,
    COUNT(*) AS turns,
    COUNTIF(t.user_key IS NOT NULL) AS keyed_turns,
    COUNT(DISTINCT t.session_id) AS sessions,
    -- the same up to the moment of the week the week in progress has reached, for the week
    -- after this one when that is the week in progress
    COUNT(DISTINCT IF(t.into_week <= r.into_week, t.user_key, NULL)) AS early_active_users,
    COUNTIF(t.into_week <= r.into_week) AS early_turns,
    COUNTIF(t.into_week <= r.into_week AND t.user_key IS NOT NULL) AS early_keyed_turns,
    COUNT(DISTINCT IF(t.into_week <= r.into_week, t.session_id, NULL)) AS early_sessions
  FROM (
    SELECT *, TIMESTAMP_DIFF(occurred_at, TIMESTAMP(week_start), SECOND) AS into_week
    FROM `${project}.${dataset}.turns`
  ) AS t
  CROSS JOIN reached AS r
  GROUP BY t.week_start
),
paired AS (
  SELECT
    w.week_start,
    IF(w.week_start = r.this_week, r.days, 7) AS days,
    w.active_users,
    w.turns,
    w.keyed_turns,
    w.sessions,
    SAFE_DIVIDE(w.keyed_turns, w.active_users) AS turns_per_user,
    IF(w.week_start = r.this_week, p.early_active_users, p.active_users) AS prev_active_users,
    IF(w.week_start = r.this_week, p.early_turns, p.turns) AS prev_turns,
    IF(w.week_start = r.this_week, p.early_sessions, p.sessions) AS prev_sessions,
    IF(
      w.week_start = r.this_week,
      SAFE_DIVIDE(p.early_keyed_turns, p.early_active_users),
      SAFE_DIVIDE(p.keyed_turns, p.active_users)
    ) AS prev_turns_per_user
  FROM weekly AS w
  CROSS JOIN reached AS r
  LEFT JOIN weekly AS p ON p.week_start = DATE_SUB(w.week_start, INTERVAL 7 DAY)
)
SELECT
  *,
  SAFE_DIVIDE(active_users - prev_active_users, prev_active_users) AS active_users_change,
  SAFE_DIVIDE(turns - prev_turns, prev_turns) AS turns_change,
  SAFE_DIVIDE(sessions - prev_sessions, prev_sessions) AS sessions_change,
  SAFE_DIVIDE(turns_per_user - prev_turns_per_user, prev_turns_per_user) AS turns_per_user_change
FROM paired
