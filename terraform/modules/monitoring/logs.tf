# Log-based metrics: what only a log line says.

# A streamed response (the chat turn's SSE, the profile export) that fails after its first byte
# was already sent as a 200; common/http.py logs the failure with the status the answer could no
# longer carry (`streamed_status`: the SSE `error` event's; an export is cut off instead), and the
# 5xx alert counts these lines (alerts.tf).
resource "google_logging_metric" "streamed_server_errors" {
  project     = var.project_id
  name        = "${var.prefix}-streamed-server-errors"
  description = "Streamed API responses (HTTP 200s) that failed mid-stream with a 5xx status: an error event, or an export cut off."
  filter      = "resource.type = \"cloud_run_revision\" AND ${local.api_services_filter} AND jsonPayload.streamed_status >= 500"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }
}

# A session cleanup run that ended with work left: common/cleanup.py logs its report (`session
# cleanup`) at WARNING with `report.complete` false, at INFO when complete. One such run after a
# burst is normal, the next goes on; the alert (alerts.tf) counts them over three hours.
resource "google_logging_metric" "cleanup_incomplete_runs" {
  project     = var.project_id
  name        = "${var.prefix}-cleanup-incomplete-runs"
  description = "Session cleanup runs that ended with work left to the next run (complete: false)."
  filter      = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"${var.cleanup_service}\" AND severity = WARNING AND jsonPayload.message = \"session cleanup\" AND jsonPayload.report.complete = false"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }
}

# Crisis turns answered, stored or not: common/chat/service.py logs each (`crisis turn`, INFO),
# with what detected it (`detected_by`: model, patterns, model+patterns, safety_answer) and
# whether the model read the message (`analyzed_by`: model, or baseline when it did not answer
# or the message was not in English, which it does not read; not the version, which would
# make a time series per model). Nothing else shows a crisis detector going quiet while the
# endpoint answers, or firing at everything (alerts.tf). A script's crisis turns past its
# budget or pace are one line per user a minute (with `count`): counted as one.
resource "google_logging_metric" "crisis_turns" {
  project     = var.project_id
  name        = "${var.prefix}-crisis-turns"
  description = "Crisis turns answered by the chat function, by detector and whether the model answered."
  filter      = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"${var.chat_service}\" AND jsonPayload.message = \"crisis turn\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key         = "analyzed_by"
      value_type  = "STRING"
      description = "model: the persona model read the turn; baseline: it did not answer, or the message was not in English."
    }
    labels {
      key         = "detected_by"
      value_type  = "STRING"
      description = "What said crisis: model, patterns, model+patterns or safety_answer."
    }
  }
  label_extractors = {
    analyzed_by = "EXTRACT(jsonPayload.analyzed_by)"
    detected_by = "EXTRACT(jsonPayload.detected_by)"
  }
}

# A push that ended failed (common/push/service.py PUSH_LINE, INFO, status "failed"): the push
# sender's line for a message, the release's for a retried push (its last delivery is one).
# Reasons: retries_exhausted (FCM errors through every delivery, about 9 hours) and
# all_devices_failed (every token dead: routine for a user whose one app was removed; the
# tokens are deleted). The alert (alerts.tf) reads retries_exhausted.
resource "google_logging_metric" "failed_pushes" {
  project     = var.project_id
  name        = "${var.prefix}-failed-pushes"
  description = "Pushes that ended failed, by reason (retries_exhausted, all_devices_failed)."
  filter      = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"${var.push_sender_service}\" AND jsonPayload.message = \"push\" AND jsonPayload.status = \"failed\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    labels {
      key         = "reason"
      value_type  = "STRING"
      description = "retries_exhausted or all_devices_failed."
    }
  }
  label_extractors = {
    reason = "EXTRACT(jsonPayload.reason)"
  }
}

# A weekly insight run that ended with users left (common/notifications/service.py: its
# `notification producer` line is a WARNING with report.complete false). The Sunday runs go on
# from where the last stopped; the alert (alerts.tf) fires when all four did.
resource "google_logging_metric" "weekly_insight_incomplete_runs" {
  project     = var.project_id
  name        = "${var.prefix}-weekly-insight-incomplete-runs"
  description = "Weekly insight runs that ended with users left to the next run (complete: false)."
  filter      = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"${var.notification_service}\" AND severity = WARNING AND jsonPayload.message = \"notification producer\" AND jsonPayload.report.producer = \"weekly_insight\" AND jsonPayload.report.complete = false"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }
}

# Cloud Monitoring knows a new log-based metric only minutes after Logging created it: an alert
# policy on it created sooner fails with 404 "Cannot find metric(s) ... it could take up to 10
# minutes" (hashicorp/terraform-provider-google#11102, open), and a first apply stops there.
# The policies that read one (alerts.tf) wait here: the 10 minutes that error names, once, in
# parallel with the rest of the apply. A metric added or renamed changes the triggers, so the
# apply that creates it waits again.
resource "time_sleep" "metrics_known_to_monitoring" {
  create_duration = "10m"
  triggers = {
    cleanup_incomplete_runs        = google_logging_metric.cleanup_incomplete_runs.name
    crisis_turns                   = google_logging_metric.crisis_turns.name
    failed_pushes                  = google_logging_metric.failed_pushes.name
    streamed_server_errors         = google_logging_metric.streamed_server_errors.name
    weekly_insight_incomplete_runs = google_logging_metric.weekly_insight_incomplete_runs.name
  }
  depends_on = [
    google_logging_metric.cleanup_incomplete_runs,
    google_logging_metric.crisis_turns,
    google_logging_metric.failed_pushes,
    google_logging_metric.streamed_server_errors,
    google_logging_metric.weekly_insight_incomplete_runs,
  ]
}
