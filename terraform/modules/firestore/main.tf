resource "google_firestore_database" "database" {
  project                           = var.project_id
  name                              = var.database.name
  location_id                       = var.database.location_id
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "PESSIMISTIC"
  app_engine_integration_mode       = "DISABLED"
  deletion_policy                   = var.database.deletion_policy
  delete_protection_state           = var.database.delete_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  point_in_time_recovery_enablement = var.database.point_in_time_recovery ? "POINT_IN_TIME_RECOVERY_ENABLED" : "POINT_IN_TIME_RECOVERY_DISABLED"
}

# A backup a day, kept backup_retention_days (none when null). Point-in-time recovery reaches 7
# days back and goes with the database; a backup is kept for its retention even once the
# database is deleted, and restores into a new database (docs/OPERATIONS.md, Restore Firestore).
resource "google_firestore_backup_schedule" "daily" {
  count     = var.database.backup_retention_days == null ? 0 : 1
  project   = var.project_id
  database  = google_firestore_database.database.name
  retention = "${var.database.backup_retention_days * 86400}s"

  daily_recurrence {}
}
