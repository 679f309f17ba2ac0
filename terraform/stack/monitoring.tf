module "monitoring" {
  source              = "../modules/monitoring"
  project_id          = var.project_id
  project_number      = data.google_project.project.number
  prefix              = var.prefix
  labels              = local.labels
  notification_emails = var.alerting_config.notification_emails
  budget              = var.alerting_config.budget
  thresholds          = var.alerting_config.thresholds
  chat_service        = module.function["chat"].function_name
  cleanup_service     = module.function["session_cleanup"].function_name
  api_services = [
    for name, f in local.functions : module.function[name].function_name if f.kind == "api"
  ]
  # each dead-letter topic => the subscriptions (of deployed consumers) that dead-letter to it
  dead_letters = {
    for topic, subscriptions in local.push_subscriptions : "${topic}-dead-letter" => [
      for sub, fn in subscriptions : sub if contains(keys(local.functions), fn)
    ]
  }
  healthz_host         = module.api_gateway.hostname
  notification_service = module.function["notification_producers"].function_name
  push_sender_service  = module.function["push_sender"].function_name
}

# DELETE /v2/devices/{token} (the API contract) puts a raw FCM token in the URL, which the API
# Gateway's and Cloud Run's request logs record (httpRequest.requestUrl) for the log bucket's
# retention, out of reach of a user's erasure. Those entries are not stored; the devices
# function's own log lines name no token, and request counts and latencies are metrics, kept.
resource "google_logging_project_exclusion" "device_tokens_in_urls" {
  project     = var.project_id
  name        = "${var.prefix}-device-tokens-in-urls"
  description = "Request log entries of DELETE /v2/devices/{token}: the path holds a raw FCM token."
  # The gateway's own request logs (ESPv2, as Cloud Endpoints) put the path in jsonPayload.url.
  filter = "(httpRequest.requestMethod=\"DELETE\" AND httpRequest.requestUrl:\"/v2/devices/\") OR (jsonPayload.http_method=\"DELETE\" AND jsonPayload.url:\"/v2/devices/\")"
}

# Cloud Run logs a request entry for each Pub/Sub push delivery: ~2.85 a turn for the two
# consumers of `events` (1.425 events a turn each), most of the log volume of a turn at load
# (docs/CAPACITY.md, section 5). A delivery that succeeded (2xx) says nothing the function's
# request metrics and the subscription's do not; failed ones (non-2xx) are kept.
resource "google_logging_project_exclusion" "delivered_events" {
  project     = var.project_id
  name        = "${var.prefix}-delivered-events"
  description = "Cloud Run request log entries of successful push deliveries of `events`."
  filter      = "resource.type=\"cloud_run_revision\" AND log_id(\"run.googleapis.com/requests\") AND httpRequest.status<300 AND (${join(" OR ", local.event_consumer_services)})"
}

# Cloud Run's request entry of each refused API request (401, 403, 429): a flood of them is one
# entry a request (~1.5 KB), whatever our own lines do (common.logs.Throttle). 1 % is kept, to see
# who and what; the counts are in run.googleapis.com/request_count, a metric, and no alert or
# log-based metric (modules/monitoring) reads these entries. All of the insights function's are
# kept: a refusal there is a signed-in account's attempt on the operators' per-user data (API
# Gateway answers a request without a valid token itself), and its 3 instances bound a flood.
resource "google_logging_project_exclusion" "refused_requests" {
  project     = var.project_id
  name        = "${var.prefix}-refused-requests"
  description = "99 % of Cloud Run request log entries of refused requests (401, 403, 429), but the insights function's."
  filter      = "resource.type=\"cloud_run_revision\" AND log_id(\"run.googleapis.com/requests\") AND httpRequest.status=(401 OR 403 OR 429) AND resource.labels.service_name!=\"${module.function["insights"].function_name}\" AND sample(insertId, 0.99)"
}

locals {
  event_consumer_services = [
    for fn in values(local.push_subscriptions.events) :
    "resource.labels.service_name=\"${module.function[fn].function_name}\""
    if contains(keys(local.functions), fn)
  ]
}
