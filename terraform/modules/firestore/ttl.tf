# TTL policies. A TTL field holds a timestamp; Firestore deletes the document some time after it
# (typically within 24 hours), so reads must still check expiry. Timestamps that only grow make
# hot index ranges, so TTL fields are exempt from single-field indexes (an empty index_config)
# unless a query needs them.

resource "google_firestore_field" "ttl" {
  for_each   = var.ttl_fields
  project    = var.project_id
  database   = google_firestore_database.database.name
  collection = each.key
  field      = each.value.field

  ttl_config {}

  dynamic "index_config" {
    for_each = each.value.indexed ? [] : [""]
    content {}
  }
}
