output "database_name" {
  description = "Database id, the value of FIRESTORE_DATABASE."
  value       = google_firestore_database.database.name
}

output "rules_release" {
  description = "Name of the rules release."
  value       = google_firebaserules_release.firestore.name
}

output "ttl_fields" {
  description = "TTL field by collection group."
  value       = { for collection, f in google_firestore_field.ttl : collection => f.field }
}
