# The erasure log: every finished erasure's `erasure done` line (common.adapters.firestore_profiles,
# ERASURE_LOGGED: the user's key and times, never the uid), kept in a log bucket of its own for
# firestore_config.erasure_log_retention_days. A Firestore restore (point-in-time recovery, a
# backup) to a point before an erasure brings back the user's documents and the erasure record
# as they were; these lines are what says whom to erase again (docs/OPERATIONS.md, "Restore
# Firestore"). The _Default bucket keeps them too, for its 30 days.

locals {
  # By default as long as a restore needs them and no longer: the oldest restore point (7 days
  # of point-in-time recovery, or the oldest backup) and 30 days to notice and restore. Each
  # line keeps an erased user's key, which with the analytics key and a list of uids names them.
  erasure_log_retention_days = coalesce(
    var.firestore_config.erasure_log_retention_days,
    max(7, coalesce(var.firestore_config.backup_retention_days, 0)) + 30,
  )
}

resource "google_logging_project_bucket_config" "erasures" {
  project        = var.project_id
  location       = "global"
  bucket_id      = "${var.prefix}-erasures"
  retention_days = local.erasure_log_retention_days
  description    = "The `erasure done` line of every erasure: whom to erase again after a Firestore restore."

  # Deleting the bucket (a renamed bucket_id replaces it) takes every erasure before the apply
  # out of reach of a later restore's re-erasure. Remove this only to delete the log on purpose.
  lifecycle {
    prevent_destroy = true
  }
}

# No grant: a sink that writes into a log bucket of its own project has no writer identity and
# needs none (only a bucket in another project would need roles/logging.bucketWriter for it).
resource "google_logging_project_sink" "erasures" {
  project     = var.project_id
  name        = "${var.prefix}-erasures"
  description = "Finished erasures (`erasure done`) into the erasure log bucket."
  destination = "logging.googleapis.com/${google_logging_project_bucket_config.erasures.id}"
  filter      = "resource.type = \"cloud_run_revision\" AND jsonPayload.logger = \"common.adapters.firestore_profiles.erasures\" AND jsonPayload.message = \"erasure done\""
}

# Data access audit logs of the services that hold personal data, off by default: who read or
# wrote Firestore (conversations, profiles), Secret Manager (the analytics key, which with a
# list of uids turns every user_key back into a person), Firebase Auth (accounts, e-mails,
# custom claims) and Pub/Sub (events, notifications). Each resource is authoritative for its
# service's audit configuration: one set by hand in the console is replaced by this.
#
# The functions' own service accounts are exempted where their calls would be logged per
# request or per event: each Firestore read and write of a turn, each event published and each
# token's revocation lookup (at most one per user a minute per instance, AUTH_CACHE_SECONDS).
# They act for the request they serve, which Cloud Run and our own lines already log; what is
# left is everyone else: operators, scripts run from a checkout, the console, a leaked key.
# Secret Manager exempts no one: a function reads the analytics key once per instance start.
locals {
  function_accounts = [for name in keys(local.functions) : module.function[name].service_account_iam_email]
  # service => the members exempted from its DATA_READ and DATA_WRITE audit logs
  data_access_audit = {
    "datastore.googleapis.com"       = local.function_accounts # Firestore's, both APIs
    "identitytoolkit.googleapis.com" = local.function_accounts
    "pubsub.googleapis.com"          = local.function_accounts
    "secretmanager.googleapis.com"   = []
  }
  # About 13 months: a year's reviews of who read what, and time to look into the oldest.
  access_log_retention_days = 400
}

resource "google_project_iam_audit_config" "data_access" {
  for_each = local.data_access_audit
  project  = var.project_id
  service  = each.key

  dynamic "audit_log_config" {
    for_each = ["DATA_READ", "DATA_WRITE"]
    content {
      log_type         = audit_log_config.value
      exempted_members = each.value
    }
  }
}

# The access log: the data access audit entries above, and the insights function's
# `operator access` lines (which operator read which metric: common/insights/access.py), kept
# access_log_retention_days where _Default keeps them 30. docs/OPERATIONS.md, "Who read
# personal data".
resource "google_logging_project_bucket_config" "access" {
  project        = var.project_id
  location       = "global"
  bucket_id      = "${var.prefix}-access"
  retention_days = local.access_log_retention_days
  description    = "Data access audit logs of personal data, and operators' reads of the insights metrics."

  # Deleting the bucket (a renamed bucket_id replaces it) deletes the record of who read what.
  # Remove this only to delete the log on purpose.
  lifecycle {
    prevent_destroy = true
  }
}

# Into a log bucket of this project, as the erasures' sink: no writer identity to grant.
resource "google_logging_project_sink" "data_access" {
  project     = var.project_id
  name        = "${var.prefix}-data-access"
  description = "Data access audit entries into the access log bucket."
  destination = "logging.googleapis.com/${google_logging_project_bucket_config.access.id}"
  filter      = "log_id(\"cloudaudit.googleapis.com/data_access\")"
}

resource "google_logging_project_sink" "operator_access" {
  project     = var.project_id
  name        = "${var.prefix}-operator-access"
  description = "Operators' reads of the insights metrics (`operator access`) into the access log bucket."
  destination = "logging.googleapis.com/${google_logging_project_bucket_config.access.id}"
  filter      = "resource.type = \"cloud_run_revision\" AND jsonPayload.logger = \"common.insights.access\" AND jsonPayload.message = \"operator access\""
}
