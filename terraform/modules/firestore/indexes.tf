# Indexes the code's queries need beyond Firestore's automatic single-field ones: composite
# indexes, and single-field settings of a field (e.g. collection-group scope).

resource "google_firestore_index" "composite" {
  for_each    = var.composite_indexes
  project     = var.project_id
  database    = google_firestore_database.database.name
  collection  = each.value.collection
  query_scope = each.value.query_scope

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path = fields.value.field_path
      order      = fields.value.order
    }
  }
}

resource "google_firestore_field" "indexes" {
  for_each   = var.field_indexes
  project    = var.project_id
  database   = google_firestore_database.database.name
  collection = each.value.collection
  field      = each.value.field

  index_config {
    dynamic "indexes" {
      for_each = each.value.indexes
      content {
        order       = indexes.value.order
        query_scope = indexes.value.query_scope
      }
    }
  }
}

# Fields no query reads, exempt from single-field indexing (an empty index_config, as ttl.tf does
# for TTL fields): an indexed timestamp that only grows caps its collection's writes at ~500/s.
resource "google_firestore_field" "exempt" {
  for_each   = var.index_exemptions
  project    = var.project_id
  database   = google_firestore_database.database.name
  collection = each.value.collection
  field      = each.value.field

  index_config {}
}
