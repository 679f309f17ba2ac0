# Dataset-level grants (additive): readers and writers of this dataset only, never project-wide
# data roles. Running queries needs roles/bigquery.jobUser on the project, granted by the caller.

resource "google_bigquery_dataset_iam_member" "members" {
  for_each   = var.iam
  project    = var.project_id
  dataset_id = google_bigquery_dataset.dataset.dataset_id
  role       = each.value.role
  member     = each.value.member
}
