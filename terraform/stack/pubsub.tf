# Topics: `events` (every event), `notifications` (push messages) and a dead-letter topic for
# each, where a consumer's messages go after max_delivery_attempts. The code publishes to the
# fixed names `events` (common/events.py) and `notifications` (common/push/models.py); only the
# analytics sink is told a topic, its dead-letter one (DEAD_LETTER_TOPIC).
# Publishers: every deployed function whose spec lists the topic in publishes_to.

locals {
  # subscription => the push function it delivers to (only once that function is deployed).
  push_subscriptions = {
    events = {
      "events-analytics-sink"  = "analytics_sink"
      "events-profile-updater" = "profile_updater"
    }
    notifications = {
      "notifications-push-sender" = "push_sender"
    }
  }
  max_delivery_attempts = 10
  # How long a dead-letter subscription keeps a letter from when it was dead-lettered: 31 days,
  # Pub/Sub's most (its default is 7). A consumer down for a week (the analytics sink, which
  # dead-letters every event within the hour: 10 attempts, backoff up to 600 s) would lose the
  # events of its first days before it was mended and they were replayed. The consumers' once-
  # per-message records are kept longer (common/events.py DEAD_LETTER_RETENTION: change both).
  dead_letter_retention = "2678400s"
}

module "events" {
  source     = "../modules/pubsub"
  project_id = var.project_id
  name       = "events"
  iam = {
    for name, fn in local.functions : "${name}-publisher" => {
      member = module.function[name].service_account_iam_email
      role   = "roles/pubsub.publisher"
    }
    if contains(fn.publishes_to, "events")
  }
  subscriptions = {
    for sub, fn in local.push_subscriptions.events : sub => {
      push = {
        endpoint = module.function[fn].uri
        oidc     = { service_account_email = google_service_account.pubsub_push.email }
      }
      dead_letter = {
        topic                 = module.events_dead_letter.id
        max_delivery_attempts = local.max_delivery_attempts
      }
      retry = {}
    }
    if contains(keys(local.functions), fn)
  }
  topic_config = {
    labels = local.labels
    # Kept 7 days so that a consumer added later can seek back to events published before it.
    message_retention_duration = "604800s"
  }
}

module "notifications" {
  source     = "../modules/pubsub"
  project_id = var.project_id
  name       = "notifications"
  iam = {
    for name, fn in local.functions : "${name}-publisher" => {
      member = module.function[name].service_account_iam_email
      role   = "roles/pubsub.publisher"
    }
    if contains(fn.publishes_to, "notifications")
  }
  subscriptions = {
    for sub, fn in local.push_subscriptions.notifications : sub => {
      push = {
        endpoint = module.function[fn].uri
        oidc     = { service_account_email = google_service_account.pubsub_push.email }
      }
      dead_letter = {
        topic                 = module.notifications_dead_letter.id
        max_delivery_attempts = local.max_delivery_attempts
      }
      retry = {}
    }
    if contains(keys(local.functions), fn)
  }
  topic_config = {
    labels = local.labels
  }
}

# What consumers could not process, kept for inspection and replay (docs/OPERATIONS.md); the
# backlog of each pull subscription here raises an alert.
module "events_dead_letter" {
  source                = "../modules/pubsub"
  project_id            = var.project_id
  name                  = "events-dead-letter"
  receives_dead_letters = true
  iam = {
    for name, fn in local.functions : "${name}-publisher" => {
      member = module.function[name].service_account_iam_email
      role   = "roles/pubsub.publisher"
    }
    if contains(fn.publishes_to, "events-dead-letter")
  }
  subscriptions = {
    "events-dead-letter" = { message_retention_duration = local.dead_letter_retention }
  }
  topic_config = {
    labels                     = local.labels
    message_retention_duration = "604800s"
  }
}

module "notifications_dead_letter" {
  source                = "../modules/pubsub"
  project_id            = var.project_id
  name                  = "notifications-dead-letter"
  receives_dead_letters = true
  subscriptions = {
    "notifications-dead-letter" = { message_retention_duration = local.dead_letter_retention }
  }
  topic_config = {
    labels                     = local.labels
    message_retention_duration = "604800s"
  }
}
