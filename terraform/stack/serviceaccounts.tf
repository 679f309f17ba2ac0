# Identities that call the functions. Each is an invoker of exactly the functions it calls.

# The identity Pub/Sub pushes with (OIDC): invoker of the push-triggered functions only.
resource "google_service_account" "pubsub_push" {
  project      = var.project_id
  account_id   = "${var.prefix}-pubsub-push"
  display_name = "Pub/Sub push to event-driven functions"
}

# The identity of the Cloud Scheduler jobs (OIDC): invoker of the job functions only.
resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "${var.prefix}-scheduler"
  display_name = "Cloud Scheduler jobs"
}

# The identity API Gateway calls the API functions with: invoker of the API functions only.
resource "google_service_account" "gateway" {
  project      = var.project_id
  account_id   = "${var.prefix}-api-gateway"
  display_name = "API Gateway backend identity"
}
