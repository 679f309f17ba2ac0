-- One row per event: delivery is at least once and BigQuery's insertId de-duplication is only
-- best effort, so every other view reads this one. The first row written for an event wins.
SELECT * EXCEPT (copy)
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY ingested_at, occurred_at) AS copy
  FROM `${project}.${dataset}.events`
)
WHERE copy = 1
