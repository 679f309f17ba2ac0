-- Satisfaction per persona and week, for the weeks that start from start_day to end_day, from
-- the ratings that stand (the last rating of each turn): satisfaction is the rating as a reward
-- in [0, 1] (up = 1, down = 0, 1..5 stars as (r - 1) / 4). The `satisfaction_by_persona` view
-- is this over all time.
-- Days older than 30 undercount and lean towards long-retention and anonymised users (survivor
-- bias: turns_between.sql); for long ranges daily_persona_intent keeps each day's ratings and
-- satisfaction_sum per persona.
-- A rating is positive above 0.5: "up", 4 or 5 stars; 3 stars (0.5) is neutral, as in the
-- profile updater's `liked` and ab_results. Ratings of the crisis safety message are left out:
-- no persona wrote it; so are ratings of turns in care (persona_source 'care': the calm persona
-- answers for a few turns after a crisis signal, whatever fits the user), which say how the user
-- felt after a crisis, not how that persona suits them. The profile updater leaves both out of
-- persona evidence too (common/profile/updater.py, `about_persona`).
-- Ratings sent before feedback events carried `crisis` (2026-12-03) and `persona_source`
-- (2026-12-06) have NULL there: the rated turn's own flags decide for them (turn events always
-- carried both) if it was taken at most a week before start_day. (This reads the turn events
-- of those days, docs/CAPACITY.md section 6; once no deployment keeps a rating from before
-- then, a year after the last upgrade past 2d839ee, the join can go.)
SELECT
  f.week_start,
  f.persona,
  COUNT(*) AS ratings,
  AVG(f.satisfaction) AS avg_satisfaction,
  COUNTIF(f.satisfaction > 0.5) / COUNT(*) AS positive_share,
  COUNT(DISTINCT f.user_key) AS raters
-- a week starting on end_day runs 6 days past it (and feedback_final_between reads a week past
-- that for ratings changed later)
FROM `${project}.${dataset}.feedback_final_between`(${start_day}, DATE_ADD(${end_day}, INTERVAL 6 DAY)) AS f
LEFT JOIN `${project}.${dataset}.turns_between`(DATE_SUB(${start_day}, INTERVAL 7 DAY), DATE_ADD(${end_day}, INTERVAL 6 DAY)) AS t
  USING (turn_id)
-- not the week under way on start_day, nor those starting after end_day: read in part
WHERE f.week_start BETWEEN ${start_day} AND ${end_day}
  AND f.persona IS NOT NULL AND f.satisfaction IS NOT NULL
  AND COALESCE(f.crisis, t.crisis) IS NOT TRUE
  AND COALESCE(f.persona_source, t.persona_source) IS DISTINCT FROM 'care'
GROUP BY f.week_start, f.persona
