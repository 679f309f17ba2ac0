variable "composite_indexes" {
  description = "Composite indexes by a static key: collection group, scope and ordered fields."
  type = map(object({
    collection  = string
    query_scope = optional(string, "COLLECTION")
    fields = list(object({
      field_path = string
      order      = optional(string, "ASCENDING")
    }))
  }))
  default  = {}
  nullable = false
}

variable "database" {
  description = "The Firestore database in native mode. (default) is the database the code uses unless FIRESTORE_DATABASE says otherwise. backup_retention_days: a backup every day, kept that many days (null = no backups)."
  type = object({
    location_id            = string
    name                   = optional(string, "(default)")
    backup_retention_days  = optional(number)
    delete_protection      = optional(bool, true)
    deletion_policy        = optional(string, "ABANDON")
    point_in_time_recovery = optional(bool, false)
  })
  nullable = false
  validation {
    condition     = contains(["ABANDON", "DELETE"], var.database.deletion_policy)
    error_message = "deletion_policy must be ABANDON or DELETE."
  }
  validation {
    # Firestore keeps a backup 14 weeks at most.
    condition = (
      var.database.backup_retention_days == null ? true :
      var.database.backup_retention_days >= 1 && var.database.backup_retention_days <= 98
    )
    error_message = "backup_retention_days must be null or between 1 and 98 (14 weeks)."
  }
}

variable "field_indexes" {
  description = "Single-field index settings by a static key: the indexes of `field` in `collection`. They replace the automatic ones for that field, so list every scope and order the code queries (COLLECTION_GROUP for queries across all parents). Not for TTL fields (see ttl_fields)."
  type = map(object({
    collection = string
    field      = string
    indexes = list(object({
      order       = optional(string, "ASCENDING")
      query_scope = optional(string, "COLLECTION")
    }))
  }))
  default  = {}
  nullable = false
}

variable "index_exemptions" {
  description = "Fields exempt from single-field indexing, by a static key: `field` in `collection`, which no query reads. Not for TTL fields (see ttl_fields)."
  type = map(object({
    collection = string
    field      = string
  }))
  default  = {}
  nullable = false
}

variable "project_id" {
  description = "Project that hosts the database."
  type        = string
  nullable    = false
}

variable "rules_file" {
  description = "Path of the Firestore security rules file released on the database."
  type        = string
  nullable    = false
}

variable "ttl_fields" {
  description = "TTL policies by collection group id (a top-level collection or a subcollection name): the timestamp field after which Firestore deletes a document. Firestore allows one TTL field per collection group. TTL fields are exempt from single-field indexing unless `indexed` is true."
  type = map(object({
    field   = string
    indexed = optional(bool, false)
  }))
  default  = {}
  nullable = false
}
