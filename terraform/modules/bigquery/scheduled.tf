# Daily materialisations: one scheduled query per SQL file in the daily folder, run as a service
# account that may write this dataset and run jobs, nothing else.

locals {
  # `definition`: a hash of the file and every view's (what it reads decides its figures too),
  # stamped on each row it computes, so that a change recomputes the days it still can (the
  # daily files; common/analytics/warehouse.py's definition() is the same hash)
  daily = {
    for f in fileset(var.daily_dir, "*.sql") :
    trimsuffix(f, ".sql") => templatefile("${var.daily_dir}/${f}", merge(local.sql_vars, {
      definition = substr(sha256(join("", concat([file("${var.daily_dir}/${f}")], values(local.view_sql)))), 0, 16)
    }))
  }
}

resource "google_service_account" "scheduled_queries" {
  count        = length(local.daily) == 0 ? 0 : 1
  project      = var.project_id
  account_id   = "${var.prefix}-bq-daily"
  display_name = "BigQuery daily scheduled queries"
}

resource "google_bigquery_dataset_iam_member" "scheduled_queries" {
  count      = length(local.daily) == 0 ? 0 : 1
  project    = var.project_id
  dataset_id = google_bigquery_dataset.dataset.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.scheduled_queries[0].email}"
}

resource "google_project_iam_member" "scheduled_queries_jobs" {
  count   = length(local.daily) == 0 ? 0 : 1
  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = "serviceAccount:${google_service_account.scheduled_queries[0].email}"
}

resource "google_bigquery_data_transfer_config" "daily" {
  for_each             = local.daily
  project              = var.project_id
  location             = var.location
  display_name         = "${var.prefix}-daily-${each.key}"
  data_source_id       = "scheduled_query"
  schedule             = var.daily_schedule
  service_account_name = google_service_account.scheduled_queries[0].email
  params = {
    query = each.value
  }

  # the daily files read table functions (for the days a run recomputes) and views
  depends_on = [
    google_bigquery_dataset_iam_member.scheduled_queries,
    google_bigquery_routine.functions,
    google_bigquery_routine.functions_tier2,
    google_bigquery_table.views,
    google_bigquery_table.views_tier2,
    google_bigquery_table.views_tier3,
  ]
}
