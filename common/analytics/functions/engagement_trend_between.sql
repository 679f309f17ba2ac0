-- Week-over-week engagement for the weeks that start from start_day to end_day: active users,
-- turns, sessions and turns per user, each with the previous week and the relative change (NULL
-- when the previous week had none). Turns per user counts the turns of keyed users only:
-- anonymised users' turns have no user to divide by, and a change in their share must not read
-- as a change in engagement. The `engagement_trend` view is this over all time.
-- Days older than 30 undercount and lean towards long-retention and anonymised users (survivor
-- bias: turns_between.sql); for long ranges daily_activity keeps each day's active users, turns and
-- sessions.
-- The week in progress (the newest turn's) has run for `days` days so far (the last one maybe in
-- part); it is compared with the week before up to the same moment of the week, not with all of
-- it, which read as a drop every day but Sunday. Every other week covers 7.
WITH clock AS (
  -- Which week is in progress matters only when it is one of the range's, so the newest turn is
  -- looked for from start_day (none since: no week of the range is in progress) to the end of
  -- the week after end_day's (a turn in it: none is either). Only a product without a turn
  -- for a whole week reads differently here: its last week before the gap as in progress.
  -- MAX needs no de-duplication: copies share occurred_at (turns_between.sql).
  SELECT
    as_of,
    -- the Monday-based week, as turns_between has it
    DATE_SUB(DATE(as_of), INTERVAL MOD(EXTRACT(DAYOFWEEK FROM as_of) + 5, 7) DAY) AS this_week
  FROM (
    SELECT MAX(occurred_at) AS as_of
    FROM `${project}.${dataset}.events`
    WHERE type = 'chat.turn.completed'
      AND occurred_at >= TIMESTAMP(${start_day})
      AND occurred_at < TIMESTAMP(DATE_ADD(${end_day}, INTERVAL 14 DAY))
  )
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
    -- the range's weeks and the week before each: from 7 days before start_day to the end of
    -- the week starting on end_day, 6 days past it
    FROM `${project}.${dataset}.turns_between`(
      DATE_SUB(${start_day}, INTERVAL 7 DAY), DATE_ADD(${end_day}, INTERVAL 6 DAY)
    )
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
  -- the range's weeks only: the others read are weeks before them, or read in part
  WHERE w.week_start BETWEEN ${start_day} AND ${end_day}
)
SELECT
  *,
  SAFE_DIVIDE(active_users - prev_active_users, prev_active_users) AS active_users_change,
  SAFE_DIVIDE(turns - prev_turns, prev_turns) AS turns_change,
  SAFE_DIVIDE(sessions - prev_sessions, prev_sessions) AS sessions_change,
  SAFE_DIVIDE(turns_per_user - prev_turns_per_user, prev_turns_per_user) AS turns_per_user_change
FROM paired
