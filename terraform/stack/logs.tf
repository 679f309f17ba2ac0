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
