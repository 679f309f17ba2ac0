# The analytics dataset and its events table. The table's schema is the JSON file the code reads
# too (common/analytics/events_schema.json), so code and table cannot drift apart.

resource "google_bigquery_dataset" "dataset" {
  #checkov:skip=CKV_GCP_81:CMEK is not supported (terraform/README.md, Encryption): Google-managed keys encrypt it at rest.
  project                    = var.project_id
  dataset_id                 = var.dataset_id
  location                   = var.location
  description                = "ION Mentoring analytics: the events table and the views over it."
  labels                     = var.labels
  delete_contents_on_destroy = false
  # Deleted rows (an erasure, a user's retention) stay readable through time travel this long,
  # then 7 days in Google's fail-safe: the least BigQuery allows, not the default 7 days.
  max_time_travel_hours = 48
}

resource "google_bigquery_table" "events" {
  #checkov:skip=CKV_GCP_80:CMEK is not supported (terraform/README.md, Encryption): Google-managed keys encrypt it at rest.
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.dataset.dataset_id
  table_id            = var.events_table.table_id
  labels              = var.labels
  schema              = file(var.events_table.schema_file)
  clustering          = var.events_table.clustering
  deletion_protection = true # dropping analytics is done by hand, never by a plan
  # Retention thins old days unevenly (common/analytics/functions/turns_between.sql).
  description = join(" ", [
    "One row per event (de-duplicated by event_id in the views).",
    "Keyed rows are deleted after each user's retention (30, 90 or 365 days); anonymised rows",
    "(no user_key) stay until their partition expires. So days older than 30 keep only some",
    "users' events: the all-time views undercount them and lean towards long-retention and",
    "anonymised users. For long ranges read daily_activity and daily_persona_intent.",
  ])

  time_partitioning {
    type  = "DAY"
    field = var.events_table.partition_field
    # Past the longest retention a user can choose nothing is kept (the cleanup job enforces
    # shorter choices row by row).
    expiration_ms = var.events_table.partition_expiration_days * 24 * 60 * 60 * 1000
  }
}

# The users whose analytics retention is not the default (user_key, days), rewritten by every
# cleanup run from Firestore before its retention DELETE reads it: a list this long would not
# fit in the statement's parameters (a request is at most 10 MB, some 200,000 keys).
resource "google_bigquery_table" "retention_choices" {
  #checkov:skip=CKV_GCP_121:Rebuilt from Firestore by every cleanup run: nothing to protect.
  #checkov:skip=CKV_GCP_80:CMEK is not supported (terraform/README.md, Encryption): Google-managed keys encrypt it at rest.
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.dataset.dataset_id
  table_id            = "retention_choices"
  description         = "Users' analytics retention other than the default, by user_key; rewritten hourly by the cleanup job."
  labels              = var.labels
  deletion_protection = false
  schema = jsonencode([
    { name = "user_key", type = "STRING", mode = "REQUIRED" },
    { name = "days", type = "INTEGER", mode = "REQUIRED" },
  ])
}
