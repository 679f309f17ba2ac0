# Cloud Scheduler jobs that call HTTP functions with an OIDC token of the scheduler's own service
# account, the only member allowed to invoke those functions. Later jobs (session cleanup,
# retraining, weekly insights) add one entry to local.schedules.

locals {
  schedules = {
    outbox-relay = {
      description = "Deliver pending outbox events to Pub/Sub."
      function    = "outbox_relay"
      schedule    = "* * * * *"
    }
  }
}

resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "${var.prefix}-scheduler"
  display_name = "Cloud Scheduler jobs"
}

resource "google_cloud_scheduler_job" "jobs" {
  for_each    = local.schedules
  project     = var.project_id
  region      = var.region
  name        = "${var.prefix}-${each.key}"
  description = each.value.description
  schedule    = each.value.schedule
  time_zone   = "Etc/UTC"
  # Longer than the function timeout, so that the scheduler never abandons a running call.
  attempt_deadline = "${local.functions[each.value.function].timeout_seconds + 30}s"

  # The next run is at most a minute away: no retries.
  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = module.function[each.value.function].uri
    body        = base64encode("{}")
    headers = {
      "Content-Type" = "application/json"
    }
    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = module.function[each.value.function].uri
    }
  }
}
