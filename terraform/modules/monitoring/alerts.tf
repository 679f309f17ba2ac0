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
  # Created once Monitoring knows the log-based metric it reads (logs.tf).
  depends_on = [time_sleep.metrics_known_to_monitoring]

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
  for_each              = var.dead_letters
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

  # The backlog stays above 0 while letters are held back (the runbook), and its open incident
  # would hide new ones: new letters are a condition of their own. A consumer's give-ups are
  # Pub/Sub's dead-lettering (counted on the consumer's subscription); the analytics sink also
  # publishes to events-dead-letter itself (a publish request on the topic).
  conditions {
    display_name = "new letters published to ${each.key} in 10 minutes"
    condition_threshold {
      filter          = "resource.type = \"pubsub_topic\" AND resource.labels.topic_id = \"${each.key}\" AND metric.type = \"pubsub.googleapis.com/topic/send_request_count\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "600s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  dynamic "conditions" {
    for_each = length(each.value) > 0 ? [each.value] : []
    content {
      display_name = "messages dead-lettered to ${each.key} in 10 minutes"
      condition_threshold {
        filter          = "resource.type = \"pubsub_subscription\" AND (${join(" OR ", [for s in conditions.value : "resource.labels.subscription_id = \"${s}\""])}) AND metric.type = \"pubsub.googleapis.com/subscription/dead_letter_message_count\""
        comparison      = "COMPARISON_GT"
        threshold_value = 0
        duration        = "0s"
        aggregations {
          alignment_period     = "600s"
          per_series_aligner   = "ALIGN_DELTA"
          cross_series_reducer = "REDUCE_SUM"
        }
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Events a consumer gave up on are waiting in ${each.key}, or new ones arrived. See docs/OPERATIONS.md#dead-letter-backlog."
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

  # The retraining job's crash is printed text, which Cloud Logging stores without a severity:
  # the execution's result is Cloud Run's own count.
  conditions {
    display_name = "a failed Cloud Run job execution (its result)"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_job\" AND metric.type = \"run.googleapis.com/job/completed_execution_count\" AND metric.labels.result = \"failed\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
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
  # Created once Monitoring knows the log-based metric it reads (logs.tf).
  depends_on = [time_sleep.metrics_known_to_monitoring]

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
  # Created once Monitoring knows the log-based metric it reads (logs.tf).
  depends_on = [time_sleep.metrics_known_to_monitoring]

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
  # Created once Monitoring knows the log-based metric it reads (logs.tf).
  depends_on = [time_sleep.metrics_known_to_monitoring]

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

# Pushes that ended failed after FCM refused them through every delivery (about 9 hours:
# common/push/service.py): FCM or our project failing for hours, not a user's dead token (that
# ends all_devices_failed, routine, and the token is deleted). One user gets at most 3 pushes a
# day (PUSH_DAILY_CAP): more than the threshold (default 2) in an hour is more than one user's.
resource "google_monitoring_alert_policy" "pushes_failing" {
  project               = var.project_id
  display_name          = "${var.prefix}: pushes failing after all their deliveries"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = var.labels
  # Created once Monitoring knows the log-based metric it reads (logs.tf).
  depends_on = [time_sleep.metrics_known_to_monitoring]

  conditions {
    display_name = "pushes that ended retries_exhausted in an hour"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.failed_pushes.name}\" AND metric.labels.reason = \"retries_exhausted\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.thresholds.push_retries_exhausted
      duration        = "0s"
      aggregations {
        alignment_period     = "3600s"
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
    content   = "More than ${var.thresholds.push_retries_exhausted} pushes in an hour failed after FCM refused them through every delivery (about 9 hours). See docs/OPERATIONS.md#pushes-failing."
  }
}

# The weekly insight not reaching everyone: its Sunday runs (hourly, 18:00-21:00 UTC,
# terraform/stack/scheduler.tf) each go on where the last stopped; when all four end with users
# left, the last did too and those users miss this week's insight.
resource "google_monitoring_alert_policy" "weekly_insight_incomplete" {
  project               = var.project_id
  display_name          = "${var.prefix}: weekly insight not reaching every user"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = var.labels
  # Created once Monitoring knows the log-based metric it reads (logs.tf).
  depends_on = [time_sleep.metrics_known_to_monitoring]

  conditions {
    display_name = "4 incomplete weekly insight runs in 4 hours"
    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.weekly_insight_incomplete_runs.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 3
      duration        = "0s"
      aggregations {
        alignment_period     = "14400s"
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
    content   = "Every Sunday run of the weekly insight ended with users left: some miss this week's insight. See docs/OPERATIONS.md#weekly-insight-not-reaching-every-user."
  }
}

# A retrained challenger not deployed because an earlier canary still waits for an operator's
# decision (model_serving/retrain.py's last line, `retraining summary`, names it in
# canary_pending; it is the one line promoted yet a WARNING, which the filter reads rather than
# test a field that is null otherwise). The job is weekly and the canary came from an earlier
# run: it has waited a week or more.
resource "google_monitoring_alert_policy" "canary_pending" {
  project               = var.project_id
  display_name          = "${var.prefix}: a model canary waits for a decision"
  combiner              = "OR"
  notification_channels = local.channels
  user_labels           = var.labels

  conditions {
    display_name = "a retraining run found the last canary still on the endpoint"
    condition_matched_log {
      filter = "resource.type = \"cloud_run_job\" AND severity = WARNING AND jsonPayload.message = \"retraining summary\" AND jsonPayload.promoted = true"
    }
  }

  alert_strategy {
    notification_rate_limit {
      period = "3600s"
    }
    auto_close = "604800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "The weekly retraining did not deploy its challenger: the canary of an earlier run still waits for an operator. See docs/OPERATIONS.md#a-model-canary-waits-for-a-decision."
  }
}

locals {
  api_services_filter = "(${join(" OR ", [for s in var.api_services : "resource.labels.service_name = \"${s}\""])})"
}
