variable "api_services" {
  description = "Cloud Run service names of the API functions (5xx rate)."
  type        = list(string)
  nullable    = false
}

variable "budget" {
  description = "Monthly budget: billing account id, amount and currency. null = no budget."
  type = object({
    amount          = number
    billing_account = string
    currency        = optional(string, "USD")
  })
  default = null
}

variable "chat_service" {
  description = "Cloud Run service name of the chat function (p95 latency)."
  type        = string
  nullable    = false
}

variable "cleanup_service" {
  description = "Cloud Run service name of the session cleanup job (its incomplete runs)."
  type        = string
  nullable    = false
}

variable "dead_letters" {
  description = "Dead-letter topics, each with its pull subscription of the same name (whose backlog pages someone), and the subscriptions that dead-letter to it."
  type        = map(list(string))
  nullable    = false
}

variable "healthz_host" {
  description = "Host name serving GET /healthz (the API Gateway's hostname)."
  type        = string
  nullable    = false
}

variable "labels" {
  description = "User labels of the alert policies."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "notification_emails" {
  description = "Who is told when an alert fires or the budget is reached."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "notification_service" {
  description = "Cloud Run service name of the notification producers (the weekly insight's incomplete runs)."
  type        = string
  nullable    = false
}

variable "prefix" {
  description = "Prefix of display names."
  type        = string
  nullable    = false
}

variable "project_id" {
  description = "Project monitored."
  type        = string
  nullable    = false
}

variable "project_number" {
  description = "Project number (budget filter)."
  type        = string
  nullable    = false
}

variable "push_sender_service" {
  description = "Cloud Run service name of the push sender (its failed pushes)."
  type        = string
  nullable    = false
}

variable "thresholds" {
  description = "Alert thresholds: chat p95 latency (ms), share of the crisis turns the model read that the patterns alone flagged (6 hours), crisis turns in an hour, share of 5xx responses, dead-letter backlog (messages), log GiB ingested in an hour, pushes that failed after all their deliveries (in an hour), streamed responses that failed mid-stream (in 5 minutes)."
  type = object({
    chat_p95_latency_ms        = optional(number, 3000)
    crisis_patterns_only_share = optional(number, 0.2)
    crisis_turns_per_hour      = optional(number, 500)
    dead_letter_backlog        = optional(number, 0)
    error_ratio                = optional(number, 0.02)
    log_gib_per_hour           = optional(number, 1)
    push_retries_exhausted     = optional(number, 2)
    streamed_errors            = optional(number, 10)
  })
  default  = {}
  nullable = false
}
