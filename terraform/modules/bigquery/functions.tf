# One table function per SQL file in the functions folder, each of a range of UTC days:
# (start_day DATE, end_day DATE), as common/analytics/warehouse.py creates them locally. The
# dashboard's dated metrics call them for their range: each bounds occurred_at where it reads the
# events table, so BigQuery reads only the range's day partitions. A file names the range
# ${start_day} and ${end_day}: the arguments here, all time in the view made from the same file
# (views.tf: <name> for <name>_between; warehouse.py's FUNCTION_RANGE and ALL_TIME).
#
# BigQuery resolves what a function reads when it is created, and Terraform creates the
# instances of one resource in parallel: tier 1 reads only the events table, tier 2 reads tier-1
# functions (persona_distribution_between -> turns_between). A deeper chain fails the plan.

locals {
  function_sql = {
    for f in fileset(var.functions_dir, "*.sql") :
    trimsuffix(f, ".sql") => file("${var.functions_dir}/${f}")
  }
  # The other functions each function reads: `${project}.${dataset}.<name>` references.
  function_refs = {
    for name, sql in local.function_sql : name => toset([
      for m in regexall("\\$\\{dataset\\}\\.([A-Za-z0-9_]+)", sql) : m[0]
      if contains(keys(local.function_sql), m[0])
    ])
  }
  function_tier1     = toset([for name, refs in local.function_refs : name if length(refs) == 0])
  function_tier2     = setsubtract(toset(keys(local.function_refs)), local.function_tier1)
  function_arguments = ["start_day", "end_day"] # in this order
  function_range     = { for a in local.function_arguments : a => a }
  all_time           = { start_day = "DATE '1970-01-01'", end_day = "DATE '2999-12-31'" }
}

resource "google_bigquery_routine" "functions" {
  for_each        = local.function_tier1
  project         = var.project_id
  dataset_id      = google_bigquery_dataset.dataset.dataset_id
  routine_id      = each.key
  routine_type    = "TABLE_VALUED_FUNCTION"
  language        = "SQL"
  definition_body = templatefile("${var.functions_dir}/${each.key}.sql", merge(local.sql_vars, local.function_range))

  dynamic "arguments" {
    for_each = local.function_arguments
    content {
      name      = arguments.value
      data_type = jsonencode({ typeKind = "DATE" })
    }
  }

  depends_on = [google_bigquery_table.events]
}

resource "google_bigquery_routine" "functions_tier2" {
  for_each        = local.function_tier2
  project         = var.project_id
  dataset_id      = google_bigquery_dataset.dataset.dataset_id
  routine_id      = each.key
  routine_type    = "TABLE_VALUED_FUNCTION"
  language        = "SQL"
  definition_body = templatefile("${var.functions_dir}/${each.key}.sql", merge(local.sql_vars, local.function_range))

  dynamic "arguments" {
    for_each = local.function_arguments
    content {
      name      = arguments.value
      data_type = jsonencode({ typeKind = "DATE" })
    }
  }

  depends_on = [google_bigquery_routine.functions]

  lifecycle {
    precondition {
      condition     = length(setsubtract(local.function_refs[each.key], local.function_tier1)) == 0
      error_message = "Table function ${each.key} reads one two levels deep or more; add a tier in functions.tf."
    }
  }
}
