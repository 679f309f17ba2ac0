-- Use of alternative personas per day from start_day to end_day and persona: turns where the
-- user picked another persona than the ranked one (persona_source = 'requested'), their share,
-- and the users who did. The `alternative_persona_use` view is this over all time.
-- Days older than 30 undercount and lean towards long-retention and anonymised users (survivor
-- bias: turns_between.sql); for long ranges daily_persona_intent keeps each day's requested_turns
-- per persona.
SELECT
  day,
  persona,
  COUNT(*) AS turns,
  COUNTIF(persona_source = 'requested') AS requested_turns,
  COUNTIF(persona_source = 'requested') / COUNT(*) AS requested_share,
  COUNT(DISTINCT IF(persona_source = 'requested', user_key, NULL)) AS requesting_users
FROM `${project}.${dataset}.turns_between`(${start_day}, ${end_day})
WHERE persona IS NOT NULL
GROUP BY day, persona
