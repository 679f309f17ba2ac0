# Additive IAM (_iam_member) on the topic and its subscriptions, plus what dead-lettering needs:
# the Pub/Sub service agent publishes to a dead-letter topic (granted by that topic's own module
# call, `receives_dead_letters`: once per topic, however many subscriptions send to it) and acks
# on the source subscription.

locals {
  dead_letter_subscriptions = {
    for name, s in var.subscriptions : name => s.dead_letter.topic if s.dead_letter != null
  }
  # Only looked up (and only used) when a subscription dead-letters or the topic takes them.
  pubsub_service_agent = try(
    "serviceAccount:service-${data.google_project.project[0].number}@gcp-sa-pubsub.iam.gserviceaccount.com",
    null
  )
  subscription_iam = merge({}, [
    for name, s in var.subscriptions : {
      for key, binding in s.iam : "${name}/${key}" => merge(binding, { subscription = name })
    }
  ]...)
}

data "google_project" "project" {
  count      = length(local.dead_letter_subscriptions) == 0 && !var.receives_dead_letters ? 0 : 1
  project_id = var.project_id
}

resource "google_pubsub_topic_iam_member" "members" {
  for_each = var.iam
  project  = var.project_id
  topic    = google_pubsub_topic.topic.name
  role     = each.value.role
  member   = each.value.member
}

resource "google_pubsub_subscription_iam_member" "members" {
  for_each     = local.subscription_iam
  project      = var.project_id
  subscription = google_pubsub_subscription.subscriptions[each.value.subscription].name
  role         = each.value.role
  member       = each.value.member
}

resource "google_pubsub_topic_iam_member" "dead_letter_publisher_agent" {
  count   = var.receives_dead_letters ? 1 : 0
  project = var.project_id
  topic   = google_pubsub_topic.topic.name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_service_agent
}

# The per-subscription publisher bindings this replaces are forgotten, not destroyed: two
# subscriptions sharing a topic declared the same binding, and destroying them would remove the
# one the resource above declares.
removed {
  from = google_pubsub_topic_iam_member.dead_letter_publisher
  lifecycle {
    destroy = false
  }
}

# So is the one-per-dead-letter-topic binding that came between (07a5c7e to 34a3b07): the source
# topic's module declared it, the dead-letter topic's module now declares the same binding
# (dead_letter_publisher_agent), and destroying the old one would revoke it.
removed {
  from = google_pubsub_topic_iam_member.dead_letter_topic_publisher
  lifecycle {
    destroy = false
  }
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each     = local.dead_letter_subscriptions
  project      = var.project_id
  subscription = google_pubsub_subscription.subscriptions[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}
