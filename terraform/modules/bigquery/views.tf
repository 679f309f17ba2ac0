# One view per SQL file: a new file in the views folder is a new view at the next apply, and so
# is one in the functions folder (<name>_between.sql is also the view <name>, the function over
# all time: functions.tf). The files use ${project} and ${dataset} placeholders, filled here and
# by the code alike.
#
# BigQuery checks that the tables a view reads exist when the view is created, and Terraform
# creates the instances of one resource in parallel. So views are created in tiers, after the
# table functions (functions.tf): tier 1 reads only the events table and table functions, tier 2
# reads tier-1 views, tier 3 reads tier-2 views (the deepest chain today: turns_between -> turns
# -> user_activity -> churn_risk). A deeper chain fails the plan.

locals {
  view_files = merge(
    { for f in fileset(var.views_dir, "*.sql") : trimsuffix(f, ".sql") => "${var.views_dir}/${f}" },
    {
      for f in fileset(var.functions_dir, "*.sql") :
      trimsuffix(trimsuffix(f, ".sql"), "_between") => "${var.functions_dir}/${f}"
    },
  )
  view_sql = { for name, path in local.view_files : name => file(path) }
  # The other views each view reads: `${project}.${dataset}.<name>` references, minus `events`
  # and the table functions.
  view_refs = {
    for name, sql in local.view_sql : name => toset([
      for m in regexall("\\$\\{dataset\\}\\.([A-Za-z0-9_]+)", sql) : m[0]
      if m[0] != "events" && !contains(keys(local.function_sql), m[0])
    ])
  }
  view_tier1 = toset([for name, refs in local.view_refs : name if length(refs) == 0])
  view_tier2 = toset([
    for name, refs in local.view_refs : name
    if length(refs) > 0 && length(setsubtract(refs, local.view_tier1)) == 0
  ])
  view_tier3 = setsubtract(toset(keys(local.view_refs)), setunion(local.view_tier1, local.view_tier2))
  sql_vars = {
    dataset = google_bigquery_dataset.dataset.dataset_id
    project = var.project_id
  }
}

resource "google_bigquery_table" "views" {
  #checkov:skip=CKV_GCP_121:A view holds no data; removing its SQL file must drop it, which deletion protection would block.
  #checkov:skip=CKV_GCP_80:A view stores no data to encrypt; the events table it reads is encrypted.
  for_each            = local.view_tier1
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.dataset.dataset_id
  table_id            = each.key
  labels              = var.labels
  deletion_protection = false

  view {
    query          = templatefile(local.view_files[each.key], merge(local.sql_vars, local.all_time))
    use_legacy_sql = false
  }

  depends_on = [
    google_bigquery_table.events,
    google_bigquery_routine.functions,
    google_bigquery_routine.functions_tier2,
  ]
}

resource "google_bigquery_table" "views_tier2" {
  #checkov:skip=CKV_GCP_121:A view holds no data; removing its SQL file must drop it, which deletion protection would block.
  #checkov:skip=CKV_GCP_80:A view stores no data to encrypt; the events table it reads is encrypted.
  for_each            = local.view_tier2
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.dataset.dataset_id
  table_id            = each.key
  labels              = var.labels
  deletion_protection = false

  view {
    query          = templatefile(local.view_files[each.key], merge(local.sql_vars, local.all_time))
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.views]
}

resource "google_bigquery_table" "views_tier3" {
  #checkov:skip=CKV_GCP_121:A view holds no data; removing its SQL file must drop it, which deletion protection would block.
  #checkov:skip=CKV_GCP_80:A view stores no data to encrypt; the events table it reads is encrypted.
  for_each            = local.view_tier3
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.dataset.dataset_id
  table_id            = each.key
  labels              = var.labels
  deletion_protection = false

  view {
    query          = templatefile(local.view_files[each.key], merge(local.sql_vars, local.all_time))
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.views_tier2]

  lifecycle {
    precondition {
      condition     = length(setsubtract(local.view_refs[each.key], setunion(local.view_tier1, local.view_tier2))) == 0
      error_message = "View ${each.key} reads a view three levels deep or more; add a tier in views.tf."
    }
  }
}

# The views that read `turns` or `feedback_final` were tier 2 until they read their table
# functions instead (41443c3): tier 1 now. Moved, so an applied environment updates them in place
# rather than dropping each and creating it again (a gap in which it is missing).
moved {
  from = google_bigquery_table.views_tier2["alternative_persona_use"]
  to   = google_bigquery_table.views["alternative_persona_use"]
}
moved {
  from = google_bigquery_table.views_tier2["daily_active_users"]
  to   = google_bigquery_table.views["daily_active_users"]
}
moved {
  from = google_bigquery_table.views_tier2["engagement_trend"]
  to   = google_bigquery_table.views["engagement_trend"]
}
moved {
  from = google_bigquery_table.views_tier2["intent_mix"]
  to   = google_bigquery_table.views["intent_mix"]
}
moved {
  from = google_bigquery_table.views_tier2["multi_turn_adoption"]
  to   = google_bigquery_table.views["multi_turn_adoption"]
}
moved {
  from = google_bigquery_table.views_tier2["persona_distribution"]
  to   = google_bigquery_table.views["persona_distribution"]
}
moved {
  from = google_bigquery_table.views_tier2["satisfaction_by_persona"]
  to   = google_bigquery_table.views["satisfaction_by_persona"]
}
moved {
  from = google_bigquery_table.views_tier2["weekly_active_users"]
  to   = google_bigquery_table.views["weekly_active_users"]
}
