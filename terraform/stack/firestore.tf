module "firestore" {
  source     = "../modules/firestore"
  project_id = var.project_id
  # name: the functions get it as FIRESTORE_DATABASE (main.tf, the module's database_name).
  database = {
    backup_retention_days  = var.firestore_config.backup_retention_days
    delete_protection      = var.firestore_config.delete_protection
    location_id            = var.firestore_config.location_id
    name                   = var.firestore_config.name
    point_in_time_recovery = var.firestore_config.point_in_time_recovery
  }
  # Denies all direct client access: only the functions (server client libraries) read and write.
  rules_file = "${local.repo_root}/firestore.rules"
  # TTL on every document the code gives an `expires_at`: turn_keys (the idempotency window),
  # feedback (its session's expiry), activity (the anomaly limits' record, a day after the last
  # turn, or 30 days after the latest crisis turn) and the profile updater's applied_events markers and the push sender's
  # push_notifications records (39 days, common/events.py REDELIVERY_WINDOW: longer than a
  # dead letter may be replayed). Sessions expire 24 h after the last turn, but TTL
  # purges them only at `purge_at`, 2 days later: the cleanup job must see an expired session
  # first, to publish its session.ended event (the session-length signals) and delete its turns.
  # Not on turns: a turn's expires_at is set once when written, so TTL would delete early turns
  # of a session still in use; turns go with their session (functions/session_cleanup).
  # `indexed`: the cleanup job queries these fields.
  ttl_fields = {
    activity           = { field = "expires_at", indexed = true }
    applied_events     = { field = "expires_at" }
    push_notifications = { field = "expires_at" }
    feedback           = { field = "expires_at", indexed = true }
    sessions           = { field = "purge_at" }
    turn_keys          = { field = "expires_at", indexed = true }
  }
  # Queries across all parents (collection_group) need collection-group indexes; setting them
  # replaces a field's automatic indexes, so the collection-scope ones the code uses are listed
  # (devices trim by last_seen_at DESCENDING). tests/unit/test_terraform.py checks every query
  # the adapters send against these.
  field_indexes = {
    # common/adapters/firestore_devices.py: a token moves between users; stale devices.
    devices-last-seen-at = {
      collection = "devices"
      field      = "last_seen_at"
      indexes = [
        { query_scope = "COLLECTION", order = "ASCENDING" },
        { query_scope = "COLLECTION", order = "DESCENDING" },
        { query_scope = "COLLECTION_GROUP", order = "ASCENDING" },
      ]
    }
    devices-token = {
      collection = "devices"
      field      = "token"
      indexes = [
        { query_scope = "COLLECTION", order = "ASCENDING" },
        { query_scope = "COLLECTION_GROUP", order = "ASCENDING" },
      ]
    }
    # common/adapters/firestore_cleanup.py: turns left behind by a deleted session.
    turns-expires-at = {
      collection = "turns"
      field      = "expires_at"
      indexes    = [{ query_scope = "COLLECTION_GROUP", order = "ASCENDING" }]
    }
    # common/adapters/firestore_profiles.py: a user's turns whose session is gone (erasure,
    # export).
    turns-owner-uid = {
      collection = "turns"
      field      = "owner_uid"
      indexes    = [{ query_scope = "COLLECTION_GROUP", order = "ASCENDING" }]
    }
  }
  # Timestamps written with every rating that only grow and that nothing queries: indexed, each
  # would cap feedback at ~500 writes a second (docs/CAPACITY.md section 3).
  index_exemptions = {
    feedback-created-at = { collection = "feedback", field = "created_at" }
    feedback-updated-at = { collection = "feedback", field = "updated_at" }
  }
  # Queries with an equality on one field and a range or order on another.
  composite_indexes = {
    # common/adapters/firestore_cleanup.py: pending erasures, oldest first.
    erasures-pending = {
      collection = "erasures"
      fields = [
        { field_path = "analytics", order = "ASCENDING" },
        { field_path = "requested_at", order = "ASCENDING" },
      ]
    }
  }
}
