-- One row per event: delivery is at least once and BigQuery's insertId de-duplication is only
-- best effort. The first row written for an event wins. For ad-hoc queries: no other view reads
-- this one (each de-duplicates the events it reads itself), and its ROW_NUMBER window runs over
-- every row kept, so a date filter on it prunes nothing and scans every partition. For a range
-- of days use the *_between table functions (turns_between, feedback_final_between, ...), which
-- bound occurred_at before de-duplicating and read only the range's partitions.
SELECT * EXCEPT (copy)
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY ingested_at, occurred_at) AS copy
  FROM `${project}.${dataset}.events`
)
WHERE copy = 1
