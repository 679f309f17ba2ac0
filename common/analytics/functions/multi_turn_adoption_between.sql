-- Multi-turn adoption per day (the day a session's first turn was taken) from start_day to
-- end_day: sessions, sessions with two or more turns, their share, and turns per session. The
-- `multi_turn_adoption` view is this over all time.
-- Days older than 30 undercount and lean towards long-retention and anonymised users (survivor
-- bias: turns_between.sql); for long ranges no daily table keeps it.
--
-- A session expires SESSION_TTL_HOURS (24) after its last turn, so its turns are less than a
-- day apart: one that began before start_day has a turn in the day before it, and reading that
-- day tells it from the sessions that began in the range. Those are read up to 7 days past
-- end_day, which holds every session's second turn (what makes it multi-turn); a session still
-- going after that (a turn at least every day for more than a week) has its later turns left out
-- of turns_per_session. (A SESSION_TTL_HOURS set above 24 needs as many more days before.)
WITH sessions AS (
  SELECT session_id, MIN(day) AS day, COUNT(*) AS turns, ANY_VALUE(user_key) AS user_key
  FROM `${project}.${dataset}.turns_between`(
    DATE_SUB(${start_day}, INTERVAL 1 DAY), DATE_ADD(${end_day}, INTERVAL 7 DAY)
  )
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
WHERE day BETWEEN ${start_day} AND ${end_day}
GROUP BY day
