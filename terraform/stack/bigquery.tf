# Analytics: the dataset, the events table from the schema file the code reads too, one table
# function, view or daily scheduled query per SQL file (fileset: new files are picked up).

module "bigquery" {
  source        = "../modules/bigquery"
  project_id    = var.project_id
  prefix        = var.prefix
  dataset_id    = "analytics"
  location      = var.analytics_config.location
  labels        = local.labels
  daily_dir     = "${local.repo_root}/common/analytics/daily"
  functions_dir = "${local.repo_root}/common/analytics/functions"
  views_dir     = "${local.repo_root}/common/analytics/views"
  events_table = {
    schema_file = "${local.repo_root}/common/analytics/events_schema.json"
    # common/analytics/schema.py: PARTITION_FIELD and CLUSTERING.
    clustering                = ["type", "user_key"]
    partition_expiration_days = var.analytics_config.partition_expiration_days
    partition_field           = "occurred_at"
    table_id                  = "events"
  }
}
