resource "google_pubsub_subscription" "subscriptions" {
  for_each                   = var.subscriptions
  project                    = var.project_id
  name                       = each.key
  topic                      = google_pubsub_topic.topic.id
  labels                     = var.topic_config.labels
  ack_deadline_seconds       = each.value.ack_deadline_seconds
  enable_message_ordering    = each.value.enable_message_ordering
  filter                     = each.value.filter
  message_retention_duration = each.value.message_retention_duration
  retain_acked_messages      = each.value.retain_acked_messages

  expiration_policy {
    ttl = each.value.expiration_ttl
  }

  dynamic "dead_letter_policy" {
    for_each = each.value.dead_letter == null ? [] : [each.value.dead_letter]
    content {
      dead_letter_topic     = dead_letter_policy.value.topic
      max_delivery_attempts = dead_letter_policy.value.max_delivery_attempts
    }
  }

  dynamic "push_config" {
    for_each = each.value.push == null ? [] : [each.value.push]
    content {
      push_endpoint = push_config.value.endpoint

      dynamic "no_wrapper" {
        for_each = push_config.value.no_wrapper ? [""] : []
        content {
          write_metadata = true
        }
      }

      dynamic "oidc_token" {
        for_each = push_config.value.oidc == null ? [] : [push_config.value.oidc]
        content {
          service_account_email = oidc_token.value.service_account_email
          audience              = oidc_token.value.audience
        }
      }
    }
  }

  dynamic "retry_policy" {
    for_each = each.value.retry == null ? [] : [each.value.retry]
    content {
      minimum_backoff = retry_policy.value.minimum_backoff
      maximum_backoff = retry_policy.value.maximum_backoff
    }
  }
}
