# One view per SQL file: a new file in the views folder is a new view at the next apply. The
# files use ${project} and ${dataset} placeholders, filled here and by the code alike.

locals {
  views = {
    for f in fileset(var.views_dir, "*.sql") :
    trimsuffix(f, ".sql") => templatefile("${var.views_dir}/${f}", local.sql_vars)
  }
  sql_vars = {
    dataset = google_bigquery_dataset.dataset.dataset_id
    project = var.project_id
  }
}

resource "google_bigquery_table" "views" {
  #checkov:skip=CKV_GCP_121:A view holds no data; removing its SQL file must drop it, which deletion protection would block.
  #checkov:skip=CKV_GCP_80:A view stores no data to encrypt; the events table it reads is encrypted.
  for_each            = local.views
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.dataset.dataset_id
  table_id            = each.key
  labels              = var.labels
  deletion_protection = false

  view {
    query          = each.value
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.events]
}
