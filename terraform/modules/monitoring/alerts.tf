# Alert policies. Each documentation block says what the alert means and where the runbook is
# (docs/OPERATIONS.md, "Alerts").

resource "google_monitoring_alert_policy" "chat_latency" {
  project               = var.project_id
  display_name          = "${var.prefix}: chat p95 latency above ${var.thresholds.chat_p95_latency_ms} ms"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = var.labels

  conditions {
    display_name = "chat p95 request latency"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND resource.labels.service_name = \"${var.chat_service}\" AND metric.type = \"run.googleapis.com/request_latencies\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.thresholds.chat_p95_latency_ms
      duration        = "300s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_PERCENTILE_95"
        cross_series_reducer = "REDUCE_MAX"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Chat turns are slow (p95 over ${var.thresholds.chat_p95_latency_ms} ms for 5 minutes). See docs/OPERATIONS.md#chat-p95-latency."
  }
}

resource "google_monitoring_alert_policy" "server_errors" {
  project               = var.project_id
  display_name          = "${var.prefix}: 5xx rate above ${var.thresholds.error_ratio * 100}%"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = var.labels

  conditions {
    display_name = "share of 5xx responses across the API functions"
    condition_threshold {
      filter             = "resource.type = \"cloud_run_revision\" AND ${local.api_services_filter} AND metric.type = \"run.googleapis.com/request_count\" AND metric.labels.response_code_class = \"5xx\""
      denominator_filter = "resource.type = \"cloud_run_revision\" AND ${local.api_services_filter} AND metric.type = \"run.googleapis.com/request_count\""
      comparison         = "COMPARISON_GT"
      threshold_value    = var.thresholds.error_ratio
      duration           = "300s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
      }
      denominator_aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  # A streamed chat turn that fails after its first token is an HTTP 200 with an `error` event,
  # which request_count counts as 2xx: counted from its log line instead (logs.tf).
  conditions {
    display_name = "streamed responses that failed after their first byte (HTTP 200s)"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.streamed_server_errors.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.thresholds.streamed_errors
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "More than ${var.thresholds.error_ratio * 100}% of API requests fail with a 5xx, or more than ${var.thresholds.streamed_errors} streamed responses (chat turns, exports) failed mid-stream in 5 minutes. See docs/OPERATIONS.md#5xx-rate."
  }
}

resource "google_monitoring_alert_policy" "dead_letter_backlog" {
  for_each              = toset(var.dead_letter_subscriptions)
  project               = var.project_id
  display_name          = "${var.prefix}: messages waiting in ${each.key}"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = var.labels

  conditions {
    display_name = "undelivered messages in ${each.key}"
    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND resource.labels.subscription_id = \"${each.key}\" AND metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.thresholds.dead_letter_backlog
      duration        = "600s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Events a consumer gave up on are piling up in ${each.key}. See docs/OPERATIONS.md#dead-letter-backlog."
  }
}

resource "google_monitoring_alert_policy" "uptime" {
  project               = var.project_id
  display_name          = "${var.prefix}: /healthz failing"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = var.labels

  conditions {
    display_name = "uptime check on /healthz"
    condition_threshold {
      filter          = "resource.type = \"uptime_url\" AND metric.type = \"monitoring.googleapis.com/uptime_check/check_passed\" AND metric.labels.check_id = \"${google_monitoring_uptime_check_config.healthz.uptime_check_id}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 1
      duration        = "300s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_NEXT_OLDER"
        cross_series_reducer = "REDUCE_COUNT_FALSE"
        group_by_fields      = ["resource.label.project_id", "resource.label.host"]
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "GET /healthz fails from more than one region. See docs/OPERATIONS.md#healthz-uptime."
  }
}

# Log entries with needs_operator (common/logs.py): a phase of the cleanup job Firestore refuses
# (a missing index, a permission), FCM refusing this project as the apps' sender or refusing our
# credentials. Each recurs until an operator acts, and none shows as a failed request.
resource "google_monitoring_alert_policy" "needs_operator" {
  project               = var.project_id
  display_name          = "${var.prefix}: a function needs an operator"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = var.labels

  conditions {
    display_name = "a log entry with needs_operator"
    condition_matched_log {
      filter = "resource.type = \"cloud_run_revision\" AND severity >= ERROR AND jsonPayload.needs_operator = true"
    }
  }

  alert_strategy {
    notification_rate_limit {
      period = "3600s"
    }
    auto_close = "86400s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A function logged something only an operator can fix. See docs/OPERATIONS.md#needs-an-operator."
  }
}

# A scheduled job that failed: Cloud Scheduler logs each failed attempt at ERROR (its target
# answered non-2xx: the outbox relay when Pub/Sub refuses, the cleanup job's 503), and Cloud Run
# a failed execution of the retraining job. The 5xx alert watches the API functions only.
resource "google_monitoring_alert_policy" "job_failed" {
  project               = var.project_id
  display_name          = "${var.prefix}: a scheduled job failed"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = var.labels

  conditions {
    display_name = "a failed Cloud Scheduler attempt or Cloud Run job execution"
    condition_matched_log {
      filter = "(resource.type = \"cloud_scheduler_job\" OR resource.type = \"cloud_run_job\") AND severity >= ERROR"
    }
  }

  alert_strategy {
    notification_rate_limit {
      period = "3600s"
    }
    auto_close = "86400s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A scheduled job failed. See docs/OPERATIONS.md#a-scheduled-job-failed."
  }
}

# Log volume is billed per GiB ingested (docs/CAPACITY.md, section 5): a flood of requests or a
# chatty failure shows here before the bill does. The default (1 GiB an hour) is well above load
# B's ~0.02 and below a one-user flood's ~3 (before its lines were throttled); a deployment at
# load C (~2 an hour of request entries) sets it higher.
resource "google_monitoring_alert_policy" "log_volume" {
  project               = var.project_id
  display_name          = "${var.prefix}: logs ingested above ${var.thresholds.log_gib_per_hour} GiB an hour"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = var.labels

  conditions {
    display_name = "bytes of log entries ingested in an hour"
    condition_threshold {
      filter          = "resource.type = \"global\" AND metric.type = \"logging.googleapis.com/billing/bytes_ingested\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.thresholds.log_gib_per_hour * 1073741824
      duration        = "0s"
      aggregations {
        alignment_period     = "3600s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "More than ${var.thresholds.log_gib_per_hour} GiB of log entries ingested in an hour. See docs/OPERATIONS.md#log-volume."
  }
}

# The session cleanup falling behind: its runs (hourly, terraform/stack/scheduler.tf) that ended
# with work left, counted from their log line (logs.tf). One incomplete run after a burst is
# normal and the next catches up; three within three hours are three runs in a row that did not.
# Summed across revisions: a deploy between runs starts another time series.
resource "google_monitoring_alert_policy" "cleanup_incomplete" {
  project               = var.project_id
  display_name          = "${var.prefix}: session cleanup not keeping up"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = var.labels

  conditions {
    display_name = "3 or more incomplete session cleanup runs in 3 hours"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.cleanup_incomplete_runs.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 2
      duration        = "0s"
      aggregations {
        alignment_period     = "10800s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  # A count of log lines has no data, not 0, while none is logged: an incident still open when
  # the runs stop (a failing job, which has its own alert) closes after a day, not 7.
  alert_strategy {
    auto_close = "86400s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The hourly session cleanup ended with work left 3 times in 3 hours: it is not keeping up. See docs/OPERATIONS.md#session-cleanup-not-keeping-up."
  }
}

# Crisis detection, counted from the chat function's line for each crisis turn (logs.tf).
# A model whose crisis head stops firing while its endpoint answers leaves the patterns alone to
# catch crises (~29% of them, not ~98%) with every other monitor green. Healthy, the patterns
# alone catch ~0.3% of the crisis turns the model read (2 of its 12 misses in 640 held-out
# crises); a dead head makes it 100%. A ratio over 6 hours, with at least 10 such turns (a
# handful would make one miss a large share). A model on a 10% canary shows as a few % here and
# does not fire it: the canary's watch reads the crisis rate per model_version (OPERATIONS).
resource "google_monitoring_alert_policy" "crisis_model_silent" {
  project               = var.project_id
  display_name          = "${var.prefix}: crisis detection: the model's head may be dead"
  combiner              = "AND"
  notification_channels = local.channels
  user_labels           = var.labels

  conditions {
    display_name = "share of the crisis turns the model read that the patterns alone flagged, over 6 hours"
    condition_threshold {
      filter             = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.crisis_turns.name}\" AND metric.labels.analyzed_by = \"model\" AND metric.labels.detected_by = \"patterns\""
      denominator_filter = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.crisis_turns.name}\" AND metric.labels.analyzed_by = \"model\""
      comparison         = "COMPARISON_GT"
      threshold_value    = var.thresholds.crisis_patterns_only_share
      duration           = "0s"
      aggregations {
        alignment_period     = "21600s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
      denominator_aggregations {
        alignment_period     = "21600s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  conditions {
    display_name = "10 or more crisis turns the model read, over 6 hours"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.crisis_turns.name}\" AND metric.labels.analyzed_by = \"model\""
      comparison      = "COMPARISON_GT"
      threshold_value = 9
      duration        = "0s"
      aggregations {
        alignment_period     = "21600s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  # A count of log lines has no data, not 0, while none is logged (cleanup_incomplete).
  alert_strategy {
    auto_close = "86400s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Over 6 hours, more than ${var.thresholds.crisis_patterns_only_share * 100}% of the crisis turns the persona model read were flagged by the patterns alone: its crisis head may have stopped firing. See docs/OPERATIONS.md#crisis-detection-the-models-head-may-be-dead."
  }
}

# The reverse: crisis turns far above what the load makes (a model or pattern change flagging
# ordinary messages, or a flood). The default, 500 an hour, is ~3 times load B's busiest hour
# (docs/CAPACITY.md, section 2: 6.7 turns/s, ~24,000 turns an hour; the load benchmark, all
# non-crisis texts, saw 0.74% of its turns flagged, false alarms, ~180 an hour); real crisis
# turns come on top; a deployment at load C (~5,200 an hour at that share) sets it higher.
resource "google_monitoring_alert_policy" "crisis_storm" {
  project               = var.project_id
  display_name          = "${var.prefix}: crisis detection: a false-alarm storm"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = var.labels

  conditions {
    display_name = "crisis turns in an hour"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.crisis_turns.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.thresholds.crisis_turns_per_hour
      duration        = "0s"
      aggregations {
        alignment_period     = "3600s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "More than ${var.thresholds.crisis_turns_per_hour} crisis turns in an hour: a detector may be flagging ordinary messages. See docs/OPERATIONS.md#crisis-detection-a-false-alarm-storm."
  }
}

locals {
  api_services_filter = "(${join(" OR ", [for s in var.api_services : "resource.labels.service_name = \"${s}\""])})"
}
