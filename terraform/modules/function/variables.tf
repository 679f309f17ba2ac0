variable "bundle_config" {
  description = <<-EOT
    What to zip and where to upload it. `source_dir` is the function folder (its main.py lands at the
    archive root); `extra_dirs` maps an archive folder to a local folder (e.g. common => ../common);
    `extra_files` maps an archive path to a local file (e.g. requirements.txt). Files whose archive
    path matches one of the `excludes` regular expressions are left out. Files are read as UTF-8
    text (archive provider `source` blocks), so bundles hold source and text data only.
  EOT
  type = object({
    bucket_name = string
    source_dir  = string
    excludes = optional(list(string), [
      "(^|/)__pycache__/",
      "\\.py[cod]$",
      "(^|/)\\.",
    ])
    extra_dirs  = optional(map(string), {})
    extra_files = optional(map(string), {})
    output_dir  = optional(string)
  })
  nullable = false
}

variable "description" {
  description = "Function description."
  type        = string
  default     = null
}

variable "environment_variables" {
  description = "Plain runtime environment variables (never secrets: use `secrets`)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "function_config" {
  description = "Runtime, sizing, scaling and ingress of the function. `cpu` defaults to 1 when concurrency > 1 (required by Cloud Run), otherwise to the platform default."
  type = object({
    entry_point           = string
    build_service_account = optional(string)
    concurrency           = optional(number, 1)
    cpu                   = optional(string)
    docker_repository     = optional(string) # projects/…/locations/…/repositories/…, same project and region
    ingress               = optional(string, "ALLOW_ALL")
    max_instances         = optional(number, 10)
    memory_mb             = optional(number, 512)
    min_instances         = optional(number, 0)
    runtime               = optional(string, "python311") # the Python the tests run on (tests/unit/test_terraform.py)
    timeout_seconds       = optional(number, 60)
  })
  nullable = false
  validation {
    condition = contains(
      ["ALLOW_ALL", "ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"], var.function_config.ingress
    )
    error_message = "ingress must be ALLOW_ALL, ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB."
  }
  validation {
    condition = (
      var.function_config.min_instances >= 0
      && var.function_config.max_instances >= 1
      && var.function_config.min_instances <= var.function_config.max_instances
    )
    error_message = "Need 0 <= min_instances <= max_instances and max_instances >= 1."
  }
  validation {
    condition = (
      var.function_config.concurrency >= 1 && var.function_config.concurrency <= 1000
    )
    error_message = "concurrency must be between 1 and 1000."
  }
  validation {
    condition = (
      var.function_config.timeout_seconds >= 1 && var.function_config.timeout_seconds <= 3600
    )
    error_message = "timeout_seconds must be between 1 and 3600 (HTTP functions)."
  }
}

variable "invoker_config" {
  description = <<-EOT
    Who may invoke the function (roles/run.invoker on its Cloud Run service). `members` maps a
    static key to an IAM member, so members created in the same apply (unknown at plan) work.
    `allow_unauthenticated` adds allUsers: keep it false for anything not meant to be public.
  EOT
  type = object({
    allow_unauthenticated = optional(bool, false)
    members               = optional(map(string), {})
  })
  default  = {}
  nullable = false
  validation {
    condition = alltrue([
      for m in values(var.invoker_config.members) :
      !contains(["allUsers", "allAuthenticatedUsers"], m)
    ])
    error_message = "Public members go through allow_unauthenticated, never through members."
  }
}

variable "labels" {
  description = "Labels of the function."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "name" {
  description = "Function name without prefix; underscores become hyphens in resource names."
  type        = string
  nullable    = false
  validation {
    condition     = can(regex("^[a-z][a-z0-9_-]*[a-z0-9]$", var.name))
    error_message = "name must start with a letter and hold lowercase letters, digits, '-' or '_'."
  }
}

variable "prefix" {
  description = "Prefix of the function and service account names (e.g. ion-dev)."
  type        = string
  default     = null
  validation {
    condition     = var.prefix == null || can(regex("^[a-z][a-z0-9-]*[a-z0-9]$", var.prefix))
    error_message = "prefix must be null or lowercase letters, digits and hyphens."
  }
}

variable "project_id" {
  description = "Project that hosts the function."
  type        = string
  nullable    = false
}

variable "region" {
  description = "Region of the function."
  type        = string
  nullable    = false
}

variable "secrets" {
  description = "Secret environment variables: variable name => Secret Manager secret. The function's service account gets roles/secretmanager.secretAccessor on each of these secrets, and on nothing else."
  type = map(object({
    secret     = string
    project_id = optional(string)
    version    = optional(string, "latest")
  }))
  default  = {}
  nullable = false
}

variable "service_account_config" {
  description = "The function's own service account: its id (default: the function name) and the project-level roles it needs. Resource-level grants (topics, secrets) belong to the resources."
  type = object({
    account_id    = optional(string)
    display_name  = optional(string)
    project_roles = optional(list(string), [])
  })
  default  = {}
  nullable = false
  validation {
    condition = alltrue([
      for r in var.service_account_config.project_roles :
      !contains(["roles/owner", "roles/editor", "roles/viewer"], r)
    ])
    error_message = "Primitive roles (owner, editor, viewer) are never granted to a function."
  }
}
