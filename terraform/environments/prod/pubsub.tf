# Topic names are the defaults in common.config.Settings; functions get them through
# EVENTS_TOPIC / NOTIFICATIONS_TOPIC anyway.

module "events" {
  source     = "../../modules/pubsub"
  project_id = var.project_id
  name       = "events"
  # Publishers: the service account of every function whose entry lists "events" in publishes_to.
  iam = {
    for name, fn in local.functions : "${name}-publisher" => {
      member = module.function[name].service_account_iam_email
      role   = "roles/pubsub.publisher"
    }
    if contains(fn.publishes_to, "events")
  }
  # Consumers arrive as push subscriptions here, each with a dead-letter topic.
  subscriptions = {
    "events-profile-updater" = {
      push = {
        endpoint = module.function["profile_updater"].uri
        oidc     = { service_account_email = google_service_account.pubsub_push.email }
      }
      dead_letter = { topic = module.events_dead_letter.id, max_delivery_attempts = 10 }
    }
  }
  topic_config = {
    labels = local.labels
    # Kept 7 days so that a consumer added later can seek back to events published before it.
    message_retention_duration = "604800s"
  }
}

module "events_dead_letter" {
  source     = "../../modules/pubsub"
  project_id = var.project_id
  name       = "events-dead-letter"
  # Holds what consumers of events could not process, for inspection and replay.
  subscriptions = {
    "events-dead-letter" = {}
  }
  topic_config = {
    labels = local.labels
  }
}

module "notifications" {
  source     = "../../modules/pubsub"
  project_id = var.project_id
  name       = "notifications"
  iam = {
    for name, fn in local.functions : "${name}-publisher" => {
      member = module.function[name].service_account_iam_email
      role   = "roles/pubsub.publisher"
    }
    if contains(fn.publishes_to, "notifications")
  }
  topic_config = {
    labels = local.labels
  }
}

# The identity Pub/Sub pushes with (OIDC), allowed to invoke only the push-triggered functions.
resource "google_service_account" "pubsub_push" {
  project      = var.project_id
  account_id   = "${var.prefix}-pubsub-push"
  display_name = "Pub/Sub push to event-driven functions"
}
