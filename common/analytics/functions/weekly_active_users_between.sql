-- Weekly active users for the weeks that start from start_day to end_day (weeks start on Monday,
-- UTC): distinct user keys with a turn that week. The `weekly_active_users` view is this over
-- all time.
-- Days older than 30 undercount and lean towards long-retention and anonymised users (survivor
-- bias: turns_between.sql); for long ranges no daily table keeps distinct users of a week
-- (daily_activity has each day's).
SELECT
  week_start,
  COUNT(DISTINCT user_key) AS active_users,
  COUNT(*) AS turns,
  COUNT(DISTINCT session_id) AS sessions,
  COUNTIF(user_key IS NULL) AS anonymous_turns
-- a week starting on end_day runs 6 days past it
FROM `${project}.${dataset}.turns_between`(${start_day}, DATE_ADD(${end_day}, INTERVAL 6 DAY))
-- not the week under way on start_day (it began before it, and only its part in the range was
-- read), nor those starting after end_day (read in part for the one starting on it)
WHERE week_start BETWEEN ${start_day} AND ${end_day}
GROUP BY week_start
