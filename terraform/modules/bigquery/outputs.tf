output "dataset_id" {
  description = "Dataset id."
  value       = google_bigquery_dataset.dataset.dataset_id
}

output "events_table_id" {
  description = "Fully qualified id of the events table (project.dataset.table)."
  value       = "${var.project_id}.${google_bigquery_dataset.dataset.dataset_id}.${google_bigquery_table.events.table_id}"
}

output "events_table_name" {
  description = "Table id of the events table within the dataset."
  value       = google_bigquery_table.events.table_id
}

output "functions" {
  description = "Table function ids by SQL file."
  value = {
    for k, f in merge(google_bigquery_routine.functions, google_bigquery_routine.functions_tier2) : k => f.routine_id
  }
}

output "retention_choices_table_name" {
  description = "Table id of the users' retention choices the cleanup job rewrites and deletes by."
  value       = google_bigquery_table.retention_choices.table_id
}

output "scheduled_queries" {
  description = "Daily scheduled query names by SQL file."
  value       = { for k, c in google_bigquery_data_transfer_config.daily : k => c.name }
}

output "views" {
  description = "View ids by SQL file."
  value = {
    for k, v in merge(google_bigquery_table.views, google_bigquery_table.views_tier2, google_bigquery_table.views_tier3) : k => v.table_id
  }
}
