variable "daily_dir" {
  description = "Folder of the daily materialisation SQL files (one scheduled query per *.sql)."
  type        = string
  nullable    = false
}

variable "daily_schedule" {
  description = "When the daily scheduled queries run (BigQuery Data Transfer schedule syntax)."
  type        = string
  default     = "every day 03:00"
  nullable    = false
}

variable "dataset_id" {
  description = "Dataset id (the code's DATASET)."
  type        = string
  default     = "analytics"
  nullable    = false
}

variable "events_table" {
  description = "The events table: id, the JSON schema file shared with the code, day partitioning column, clustering, partition expiry. Always deletion-protected."
  type = object({
    schema_file               = string
    clustering                = optional(list(string), ["type", "user_key"])
    partition_expiration_days = optional(number, 400)
    partition_field           = optional(string, "occurred_at")
    table_id                  = optional(string, "events")
  })
  nullable = false
}

variable "functions_dir" {
  description = "Folder of the table function SQL files (one function of (start_day DATE, end_day DATE) per *.sql, named after the file)."
  type        = string
  nullable    = false
}

variable "iam" {
  description = "Additive IAM on the dataset: static key => { member, role }."
  type = map(object({
    member = string
    role   = string
  }))
  default  = {}
  nullable = false
  validation {
    condition = alltrue([
      for b in values(var.iam) : !contains(["roles/owner", "roles/editor", "roles/viewer"], b.role)
    ])
    error_message = "Primitive roles (owner, editor, viewer) are never granted on the dataset."
  }
}

variable "labels" {
  description = "Labels of the dataset, table and views."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "location" {
  description = "Dataset location (US, EU or a region)."
  type        = string
  nullable    = false
}

variable "prefix" {
  description = "Prefix of the scheduled queries and their service account."
  type        = string
  nullable    = false
}

variable "project_id" {
  description = "Project that hosts the dataset."
  type        = string
  nullable    = false
}

variable "views_dir" {
  description = "Folder of the view SQL files (one view per *.sql, named after the file)."
  type        = string
  nullable    = false
}
