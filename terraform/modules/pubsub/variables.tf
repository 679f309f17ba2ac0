variable "iam" {
  description = "Additive IAM on the topic: static key => { member, role } (e.g. chat-publisher => roles/pubsub.publisher). Keys must be known at plan; members may be created in the same apply."
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
    error_message = "Primitive roles (owner, editor, viewer) are never granted on a topic."
  }
}

variable "name" {
  description = "Topic name (the name the code publishes to)."
  type        = string
  nullable    = false
  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9._~%+-]{2,254}$", var.name))
    error_message = "Topic names are 3-255 characters and start with a letter."
  }
}

variable "project_id" {
  description = "Project that hosts the topic and its subscriptions."
  type        = string
  nullable    = false
}

variable "receives_dead_letters" {
  description = "Other subscriptions dead-letter to this topic: the Pub/Sub service agent may publish to it."
  type        = bool
  default     = false
}

variable "subscriptions" {
  description = <<-EOT
    Subscriptions by name. A subscription is a pull subscription unless `push` is set. With
    `dead_letter`, undeliverable messages go to that topic (an id, projects/P/topics/T) after
    `max_delivery_attempts`; the Pub/Sub service agent gets the grants this needs.
  EOT
  type = map(object({
    ack_deadline_seconds       = optional(number, 60)
    enable_message_ordering    = optional(bool, false)
    expiration_ttl             = optional(string, "") # "" = never expires
    filter                     = optional(string)
    message_retention_duration = optional(string, "604800s")
    retain_acked_messages      = optional(bool, false)
    dead_letter = optional(object({
      topic                 = string
      max_delivery_attempts = optional(number, 5)
    }))
    iam = optional(map(object({
      member = string
      role   = string
    })), {})
    push = optional(object({
      endpoint = string
      # Whole Pub/Sub envelope by default; no_wrapper delivers the bare message data.
      no_wrapper = optional(bool, false)
      oidc = optional(object({
        service_account_email = string
        audience              = optional(string)
      }))
    }))
    retry = optional(object({
      minimum_backoff = optional(string, "10s")
      maximum_backoff = optional(string, "600s")
    }))
  }))
  default  = {}
  nullable = false
  validation {
    condition = alltrue([
      for s in values(var.subscriptions) :
      s.dead_letter == null ? true : (
        s.dead_letter.max_delivery_attempts >= 5 && s.dead_letter.max_delivery_attempts <= 100
      )
    ])
    error_message = "Pub/Sub accepts max_delivery_attempts between 5 and 100."
  }
  validation {
    condition = alltrue(flatten([
      for s in values(var.subscriptions) : [
        for b in values(s.iam) : !contains(["roles/owner", "roles/editor", "roles/viewer"], b.role)
      ]
    ]))
    error_message = "Primitive roles (owner, editor, viewer) are never granted on a subscription."
  }
}

variable "topic_config" {
  description = "Topic settings. With message_retention_duration set, subscriptions created later can seek back to messages published before they existed."
  type = object({
    labels                     = optional(map(string), {})
    message_retention_duration = optional(string)
  })
  default  = {}
  nullable = false
}
