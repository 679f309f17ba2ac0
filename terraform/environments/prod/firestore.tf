module "firestore" {
  source     = "../../modules/firestore"
  project_id = var.project_id
  database = {
    delete_protection      = var.firestore_config.delete_protection
    location_id            = var.firestore_config.location_id
    point_in_time_recovery = var.firestore_config.point_in_time_recovery
  }
  # Denies all direct client access: only the functions (server client libraries) read and write.
  rules_file = "${local.repo_root}/firestore.rules"
  # Documents carry expires_at (24 h after the last turn for sessions and turns; the idempotency
  # window for turn_keys). turns is the sessions/{id}/turns subcollection: a collection group.
  ttl_fields = {
    sessions  = { field = "expires_at" }
    turn_keys = { field = "expires_at" }
    turns     = { field = "expires_at" }
  }
}
