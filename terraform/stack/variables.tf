variable "alerting_config" {
  description = "Who is told (emails), the monthly budget (null = none) and the alert thresholds."
  type = object({
    budget = optional(object({
      amount          = number
      billing_account = string
      currency        = optional(string, "USD")
    }))
    notification_emails = optional(list(string), [])
    thresholds = optional(object({
      chat_p95_latency_ms        = optional(number, 3000)
      crisis_patterns_only_share = optional(number, 0.2)
      crisis_turns_per_hour      = optional(number, 500)
      dead_letter_backlog        = optional(number, 0)
      error_ratio                = optional(number, 0.02)
      streamed_errors            = optional(number, 10)
      log_gib_per_hour           = optional(number, 1)
      push_retries_exhausted     = optional(number, 2)
    }), {})
  })
  default  = {}
  nullable = false
}

variable "analytics_config" {
  description = "BigQuery location of the analytics dataset, and how long a day partition is kept at most (longer than the longest retention a user can choose, 365 days)."
  type = object({
    location                  = optional(string, "US")
    partition_expiration_days = optional(number, 400)
  })
  default  = {}
  nullable = false
  validation {
    condition     = var.analytics_config.partition_expiration_days >= 365
    error_message = "Partitions must outlive the longest retention a user can choose (365 days)."
  }
}

variable "app_config" {
  description = "Application settings passed to the functions as environment variables (see common/config.py Settings for their meaning)."
  type = object({
    context_window_turns = optional(number, 5)
    # A/B tests (EXPERIMENTS): the JSON list common/experiments.py reads; the environments
    # read it from their experiments.json (docs/OPERATIONS.md, "A/B tests").
    experiments     = optional(string, "[]")
    gemini_location = optional(string, "global")
    gemini_model    = optional(string, "gemini-3.5-flash-lite")
    # What the model takes (GEMINI_THINKING_LEVEL): Pro models refuse "minimal"; "" sends none.
    gemini_thinking_level = optional(string, "minimal")
    log_level             = optional(string, "INFO")
    # The ranking policy outside an experiment, and of a variant whose policy is unset.
    personalization_policy = optional(string, "thompson")
    # The re-engagement nudge: churn risk at least this (0.6 = the view's "high" band), at
    # most once per cool-down per user (common/notifications/reengagement.py).
    reengagement_cooldown_days = optional(number, 14)
    reengagement_min_risk      = optional(number, 0.6)
    response_generator         = optional(string, "gemini")
    session_ttl_hours          = optional(number, 24)
  })
  default  = {}
  nullable = false
  # Whole numbers, as Settings (common/config.py) reads them: 2.5 reaches a function as "2.5",
  # which it refuses when it starts, after the plan and part of the apply went through.
  validation {
    condition = (
      var.app_config.context_window_turns >= 1 && var.app_config.context_window_turns <= 20 &&
      floor(var.app_config.context_window_turns) == var.app_config.context_window_turns
    )
    error_message = "context_window_turns must be a whole number between 1 and 20."
  }
  validation {
    # The chat function checks the rest (variants, shares, windows) when it starts.
    condition = (
      can(jsondecode(var.app_config.experiments)) &&
      startswith(trimspace(var.app_config.experiments), "[")
    )
    error_message = "experiments must be a JSON list of experiments (README, EXPERIMENTS)."
  }
  validation {
    condition = contains(
      ["", "minimal", "low", "medium", "high"], var.app_config.gemini_thinking_level
    )
    error_message = "gemini_thinking_level must be minimal, low, medium, high or empty."
  }
  validation {
    condition = contains(
      ["static", "formula", "thompson"], var.app_config.personalization_policy
    )
    error_message = "personalization_policy must be static, formula or thompson."
  }
  validation {
    condition     = contains(["template", "gemini"], var.app_config.response_generator)
    error_message = "response_generator must be template or gemini."
  }
  validation {
    condition = contains(
      ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], upper(var.app_config.log_level)
    )
    error_message = "log_level must be a Python logging level name."
  }
  validation {
    condition = (
      var.app_config.session_ttl_hours >= 1 &&
      floor(var.app_config.session_ttl_hours) == var.app_config.session_ttl_hours
    )
    error_message = "session_ttl_hours must be a whole number of hours, at least 1."
  }
  validation {
    condition = (
      var.app_config.reengagement_min_risk >= 0 && var.app_config.reengagement_min_risk <= 1
    )
    error_message = "reengagement_min_risk must be in [0, 1]."
  }
  validation {
    condition = (
      var.app_config.reengagement_cooldown_days >= 1 &&
      var.app_config.reengagement_cooldown_days <= 30 &&
      floor(var.app_config.reengagement_cooldown_days) == var.app_config.reengagement_cooldown_days
    )
    error_message = "reengagement_cooldown_days must be a whole number of days between 1 and 30 (the shortest retention)."
  }
}

variable "env" {
  description = "Environment name: ION_ENV of every function and a label on every resource."
  type        = string
  nullable    = false
  validation {
    condition     = contains(["dev", "prod"], var.env)
    error_message = "env must be dev or prod."
  }
}

variable "firestore_config" {
  description = "The Firestore database: its id (the functions' FIRESTORE_DATABASE; another id only to switch to a restored copy: docs/OPERATIONS.md, Restore Firestore), location (nam5 = United States multi-region), delete protection, point-in-time recovery, daily backups kept backup_retention_days (null = none); and how long the erasure log (logs.tf) keeps each erasure, which a restore of the database re-applies: longer than the oldest restore point (7 days of point-in-time recovery, the backups' retention); null = 30 days past it."
  type = object({
    backup_retention_days      = optional(number)
    delete_protection          = optional(bool, true)
    erasure_log_retention_days = optional(number) # null: logs.tf computes it
    location_id                = optional(string, "nam5")
    name                       = optional(string, "(default)")
    point_in_time_recovery     = optional(bool, false)
  })
  default  = {}
  nullable = false
  # `null ? :`, not `||`: Terraform evaluates both sides of `||`, and null >= 1 is an error.
  validation {
    # Cloud Logging keeps a bucket's entries 1 to 3650 days.
    condition = var.firestore_config.erasure_log_retention_days == null ? true : (
      var.firestore_config.erasure_log_retention_days >= 1 &&
      var.firestore_config.erasure_log_retention_days <= 3650
    )
    error_message = "erasure_log_retention_days must be between 1 and 3650."
  }
  validation {
    # A restore from the oldest backup re-applies every erasure since it (the erasure log).
    condition = var.firestore_config.erasure_log_retention_days == null ? true : (
      var.firestore_config.erasure_log_retention_days >=
      max(7, coalesce(var.firestore_config.backup_retention_days, 0))
    )
    error_message = "erasure_log_retention_days must be at least 7 and the backups' retention."
  }
}

variable "function_overrides" {
  description = "Per-function scaling that differs from the spec in functions.tf, e.g. { chat = { min_instances = 1 } }."
  type        = map(map(number))
  default     = {}
  nullable    = false
  validation {
    condition = alltrue(flatten([
      for f in values(var.function_overrides) : [
        for k in keys(f) : contains(["concurrency", "max_instances", "min_instances"], k)
      ]
    ]))
    error_message = "Only concurrency, max_instances and min_instances can be overridden."
  }
}

variable "kms_key_name" {
  description = "Not supported: must stay null (Google-managed keys). CMEK needs a key per location, the service agents' grants and the endpoint's key before its first apply: terraform/README.md, Encryption."
  type        = string
  default     = null
  validation {
    condition     = var.kms_key_name == null
    error_message = "CMEK is not supported: one key cannot serve the US multi-region dataset and the regional registry and endpoint, and no service agent is granted it (terraform/README.md, Encryption)."
  }
}

variable "model_config" {
  description = "The persona model's Vertex AI endpoint id (numeric), how many retraining images are kept regardless of age (serving images are never deleted), and the weekly retraining job: its image (null = no job yet), cron schedule, the traffic share a promoted model starts with, and the serving image of the versions it registers (null = the job borrows one, model_serving/vertex.py)."
  type = object({
    canary_percent      = optional(number, 10)
    endpoint_id         = optional(string, "1001")
    keep_images         = optional(number, 10)
    retraining_image    = optional(string)
    retraining_schedule = optional(string, "0 3 * * 1") # Mondays 03:00 UTC
    serving_image       = optional(string)
  })
  default  = {}
  nullable = false
  validation {
    # Whole: the retraining job reads RETRAIN_CANARY_PERCENT with int() (model_serving/retrain.py).
    condition = (
      var.model_config.canary_percent >= 1 && var.model_config.canary_percent <= 100 &&
      floor(var.model_config.canary_percent) == var.model_config.canary_percent
    )
    error_message = "canary_percent must be a whole number between 1 and 100."
  }
}

variable "prefix" {
  description = "Prefix of function, service account and bucket names."
  type        = string
  nullable    = false
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,10}[a-z0-9]$", var.prefix))
    error_message = "prefix must be 3-12 lowercase letters, digits or hyphens (service account ids are at most 30 characters)."
  }
}

variable "project_id" {
  description = "The environment's project."
  type        = string
  nullable    = false
}

variable "region" {
  description = "Region of the functions, scheduler, gateway, registry, endpoint and buckets."
  type        = string
  nullable    = false
}
