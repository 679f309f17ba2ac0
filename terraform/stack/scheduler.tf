# Cloud Scheduler jobs calling the job functions with an OIDC token of the scheduler's service
# account, the only invoker of those functions. A job exists once its function is deployed.
# (The weekly model retraining is a Cloud Run job, scheduled in retraining.tf.)

locals {
  schedules = {
    # One function, two producers: the body names which (functions/notification_producers).
    notification-reengagement = {
      body        = { producer = "reengagement" }
      description = "Nudge users the analytics mark at risk of leaving (a cool-down per user)."
      function    = "notification_producers"
      retries     = 1            # a rerun enqueues nothing twice
      schedule    = "0 16 * * *" # daily 16:00 UTC; quiet hours defer it per user
    }
    notification-weekly-insight = {
      body        = { producer = "weekly_insight" }
      description = "Tell each user active this week how their week went."
      function    = "notification_producers"
      retries     = 1
      # Sundays 18:00-21:00 UTC, hourly, so the ISO week is the one just lived. Each run goes on
      # from where the last stopped (~84,000 notified users a run at most, paced: CAPACITY
      # section 3); a rerun enqueues nothing twice.
      schedule = "0 18-21 * * 0"
    }
    outbox-relay = {
      description = "Deliver pending outbox events to Pub/Sub."
      function    = "outbox_relay"
      retries     = 0 # the next run is a minute away
      schedule    = "* * * * *"
    }
    session-cleanup = {
      description = "Delete expired and past-retention data; complete analytics erasures."
      function    = "session_cleanup"
      retries     = 1
      schedule    = "17 * * * *" # hourly
    }
  }
  scheduled = {
    for name, s in local.schedules : name => s if contains(keys(local.functions), s.function)
  }
}

resource "google_cloud_scheduler_job" "jobs" {
  for_each    = local.scheduled
  project     = var.project_id
  region      = var.region
  name        = "${var.prefix}-${each.key}"
  description = each.value.description
  schedule    = each.value.schedule
  time_zone   = "Etc/UTC"
  # Longer than the function timeout so the scheduler never abandons a running call (HTTP
  # targets allow at most 30 minutes; a longer job keeps running after that).
  attempt_deadline = "${min(local.functions[each.value.function].timeout_seconds + 30, 1800)}s"

  retry_config {
    retry_count = each.value.retries
  }

  http_target {
    http_method = "POST"
    uri         = module.function[each.value.function].uri
    body        = base64encode(jsonencode(try(each.value.body, {})))
    headers = {
      "Content-Type" = "application/json"
    }
    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = module.function[each.value.function].uri
    }
  }
}

# Jobs that publish a message instead of calling a function (Cloud Scheduler's service agent
# publishes; the message goes to the topic's push subscription).
locals {
  pubsub_schedules = {
    push-release = {
      description = "Release pushes that waited out users' quiet hours."
      function    = "push_sender" # the consumer of the topic
      message     = { type = "notification.release_due" }
      schedule    = "*/5 * * * *"
      topic       = "notifications"
    }
  }
}

resource "google_cloud_scheduler_job" "pubsub" {
  for_each = {
    for name, s in local.pubsub_schedules : name => s if contains(keys(local.functions), s.function)
  }
  project     = var.project_id
  region      = var.region
  name        = "${var.prefix}-${each.key}"
  description = each.value.description
  schedule    = each.value.schedule
  time_zone   = "Etc/UTC"

  pubsub_target {
    topic_name = { events = module.events.id, notifications = module.notifications.id }[each.value.topic]
    data       = base64encode(jsonencode(each.value.message))
  }
}
