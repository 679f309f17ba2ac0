-- Satisfaction per persona and week, for the weeks that start from start_day to end_day, from
-- the ratings that stand (the last rating of each turn): satisfaction is the rating as a reward
-- in [0, 1] (up = 1, down = 0, 1..5 stars as (r - 1) / 4). The `satisfaction_by_persona` view
-- is this over all time.
-- A rating is positive above 0.5: "up", 4 or 5 stars; 3 stars (0.5) is neutral, as in the
-- profile updater's `liked` and ab_results. Ratings of the crisis safety message are left out:
-- no persona wrote it; so are ratings of turns in care (persona_source 'care': the calm persona
-- answers for a few turns after a crisis signal, whatever fits the user), which say how the user
-- felt after a crisis, not how that persona suits them. The profile updater leaves both out of
-- persona evidence too (common/profile/updater.py, `about_persona`).
SELECT
  week_start,
  persona,
  COUNT(*) AS ratings,
  AVG(satisfaction) AS avg_satisfaction,
  COUNTIF(satisfaction > 0.5) / COUNT(*) AS positive_share,
  COUNT(DISTINCT user_key) AS raters
-- a week starting on end_day runs 6 days past it (and feedback_final_between reads a week past
-- that for ratings changed later)
FROM `${project}.${dataset}.feedback_final_between`(${start_day}, DATE_ADD(${end_day}, INTERVAL 6 DAY))
-- not the week under way on start_day, nor those starting after end_day: read in part
WHERE week_start BETWEEN ${start_day} AND ${end_day}
  AND persona IS NOT NULL AND satisfaction IS NOT NULL AND crisis IS NOT TRUE
  AND persona_source IS DISTINCT FROM 'care'
GROUP BY week_start, persona
