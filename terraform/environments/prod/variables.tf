variable "api_invokers" {
  description = "Who may invoke the API function (chat): static key => IAM member. The API Gateway's service account goes here; until the gateway exists, e.g. a tester's user:... for direct calls."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "app_config" {
  description = "Application settings passed to every function as environment variables (see common/config.py Settings for their meaning)."
  type = object({
    context_window_turns = optional(number, 5)
    gemini_location      = optional(string, "us-central1")
    gemini_model         = optional(string, "gemini-2.5-flash")
    log_level            = optional(string, "INFO")
    response_generator   = optional(string, "gemini")
    session_ttl_hours    = optional(number, 24)
  })
  default  = {}
  nullable = false
  validation {
    condition = (
      var.app_config.context_window_turns >= 1 && var.app_config.context_window_turns <= 20
    )
    error_message = "context_window_turns must be between 1 and 20."
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
    condition     = var.app_config.session_ttl_hours >= 1
    error_message = "session_ttl_hours must be at least 1."
  }
}

variable "firestore_config" {
  description = "The Firestore database: location (nam5 = United States multi-region), delete protection, point-in-time recovery."
  type = object({
    delete_protection      = optional(bool, true)
    location_id            = optional(string, "nam5")
    point_in_time_recovery = optional(bool, false)
  })
  default  = {}
  nullable = false
}

variable "prefix" {
  description = "Prefix of function, service account and bucket names."
  type        = string
  default     = "ion"
  nullable    = false
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,10}[a-z0-9]$", var.prefix))
    error_message = "prefix must be 3-12 lowercase letters, digits or hyphens (service account ids are at most 30 characters)."
  }
}

variable "project_id" {
  description = "The prod project."
  type        = string
  nullable    = false
}

variable "region" {
  description = "Region of the functions, the scheduler and the bundle bucket."
  type        = string
  default     = "us-central1"
  nullable    = false
}
