-- Week-over-week engagement: active users, turns, sessions and turns per user, each with the
-- previous week and the relative change (NULL when the previous week had none). Turns per user
-- counts the turns of keyed users only: anonymised users' turns have no user to divide by, and a
-- change in their share must not read as a change in engagement.
-- The week in progress (the newest turn's) covers `days` days so far; it is compared with the
-- same days of the week before, not with all seven, which read as a drop every weekday but
-- Sunday. Every other week covers 7.
WITH clock AS (
  SELECT MAX(day) AS as_day, MAX(week_start) AS this_week
  FROM `${project}.${dataset}.turns`
),
reached AS (
  SELECT this_week, DATE_DIFF(as_day, this_week, DAY) + 1 AS days FROM clock
),
weekly AS (
  SELECT
    t.week_start,
    COUNT(DISTINCT t.user_key) AS active_users,
    COUNT(*) AS turns,
    COUNTIF(t.user_key IS NOT NULL) AS keyed_turns,
    COUNT(DISTINCT t.session_id) AS sessions,
    -- the same over the week's first r.days days, for the week after it when that is in progress
    COUNT(DISTINCT IF(DATE_DIFF(t.day, t.week_start, DAY) < r.days, t.user_key, NULL))
      AS early_active_users,
    COUNTIF(DATE_DIFF(t.day, t.week_start, DAY) < r.days) AS early_turns,
    COUNTIF(DATE_DIFF(t.day, t.week_start, DAY) < r.days AND t.user_key IS NOT NULL)
      AS early_keyed_turns,
    COUNT(DISTINCT IF(DATE_DIFF(t.day, t.week_start, DAY) < r.days, t.session_id, NULL))
      AS early_sessions
  FROM `${project}.${dataset}.turns` AS t
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
