# The Cloud Functions. functions/<name>/main.py defines the entry point <name>; each bundle holds
# that folder plus common/ and requirements.txt. To add a function, add one entry to
# local.functions (every entry lists every key); the module call, its service account, IAM, topic
# publishers and tests/unit/test_terraform.py all follow from it.

locals {
  functions = {
    # POST /v2/chat/turns, GET /v2/sessions/*, POST /api/chat/enhanced and GET /healthz
    # (behind API Gateway; /healthz shows this instance's model cache and circuit).
    chat = {
      description   = "Chat turns, sessions and the legacy enhanced chat endpoint."
      concurrency   = 4 # functions-framework serves 4 threads per vCPU
      cpu           = "1"
      env           = {}
      ingress       = "ALLOW_ALL" # API Gateway reaches it over its public endpoint
      invokers      = var.api_invokers
      max_instances = 20
      memory_mb     = 1024
      min_instances = 1 # no cold start on the first message
      project_roles = ["roles/aiplatform.user", "roles/datastore.user"]
      publishes_to  = ["events"]
      secrets = {
        ANALYTICS_KEY = { secret = google_secret_manager_secret.secrets["analytics-key"].secret_id }
      }
      timeout_seconds = 60
    }
    # POST /v2/feedback (behind API Gateway).
    feedback = {
      description   = "Ratings of turns: thumbs up/down or 1-5, idempotent per user and turn."
      concurrency   = 4
      cpu           = "1"
      env           = {}
      ingress       = "ALLOW_ALL" # API Gateway reaches it over its public endpoint
      invokers      = var.api_invokers
      max_instances = 10
      memory_mb     = 512
      min_instances = 0
      project_roles = ["roles/datastore.user"]
      publishes_to  = ["events"]
      secrets = {
        ANALYTICS_KEY = { secret = google_secret_manager_secret.secrets["analytics-key"].secret_id }
      }
      timeout_seconds = 30
    }
    # GET/PATCH/DELETE /v2/profile, GET /v2/profile/export (behind API Gateway).
    profile = {
      description   = "The user's settings, learned preferences, export and erasure."
      concurrency   = 4
      cpu           = "1"
      env           = {}
      ingress       = "ALLOW_ALL" # API Gateway reaches it over its public endpoint
      invokers      = var.api_invokers
      max_instances = 5
      memory_mb     = 512
      min_instances = 0
      project_roles = ["roles/datastore.user"]
      publishes_to  = ["events"]
      secrets = {
        ANALYTICS_KEY = { secret = google_secret_manager_secret.secrets["analytics-key"].secret_id }
      }
      timeout_seconds = 300 # erasure deletes in batches
    }
    # Pushed to by the events-profile-updater subscription (pubsub.tf) with an OIDC token.
    profile_updater = {
      description     = "Learns each user's persona preferences from turn and feedback events."
      concurrency     = 8
      cpu             = "1"
      env             = {}
      ingress         = "ALLOW_ALL" # Pub/Sub push arrives from outside the VPC; IAM guards it
      invokers        = { push = "serviceAccount:${google_service_account.pubsub_push.email}" }
      max_instances   = 10
      memory_mb       = 512
      min_instances   = 0
      project_roles   = ["roles/datastore.user"]
      publishes_to    = []
      secrets         = {}
      timeout_seconds = 60
    }
    # Called by Cloud Scheduler every minute (scheduler.tf): delivers the Firestore outbox.
    outbox_relay = {
      description     = "Delivers pending events from the Firestore outbox to Pub/Sub."
      concurrency     = 1
      cpu             = null
      env             = {}
      ingress         = "ALLOW_INTERNAL_ONLY" # Cloud Scheduler in the same project is internal
      invokers        = { scheduler = "serviceAccount:${google_service_account.scheduler.email}" }
      max_instances   = 1 # one relay at a time keeps duplicate deliveries rare
      memory_mb       = 512
      min_instances   = 0
      project_roles   = ["roles/datastore.user"]
      publishes_to    = ["events"]
      secrets         = {}
      timeout_seconds = 60
    }
  }
}

module "function" {
  source      = "../../modules/function"
  for_each    = local.functions
  project_id  = var.project_id
  region      = var.region
  prefix      = var.prefix
  name        = each.key
  description = each.value.description
  labels      = local.labels
  bundle_config = {
    bucket_name = google_storage_bucket.bundles.name
    source_dir  = "${local.repo_root}/functions/${each.key}"
    extra_dirs  = { common = "${local.repo_root}/common" }
    extra_files = { "requirements.txt" = "${local.repo_root}/requirements.txt" }
  }
  environment_variables = merge(local.settings_env, each.value.env)
  function_config = {
    entry_point           = each.key
    build_service_account = google_service_account.build.id
    concurrency           = each.value.concurrency
    cpu                   = each.value.cpu
    ingress               = each.value.ingress
    max_instances         = each.value.max_instances
    memory_mb             = each.value.memory_mb
    min_instances         = each.value.min_instances
    timeout_seconds       = each.value.timeout_seconds
  }
  invoker_config = {
    members = each.value.invokers
  }
  secrets = each.value.secrets
  service_account_config = {
    project_roles = each.value.project_roles
  }
}

# Source bundles, one object per content hash and function.
resource "google_storage_bucket" "bundles" {
  project                     = var.project_id
  name                        = "${var.project_id}-${var.prefix}-function-bundles"
  location                    = var.region
  labels                      = local.labels
  public_access_prevention    = "enforced"
  uniform_bucket_level_access = true
}

# Cloud Build runs function builds as this account instead of a default one.
resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "${var.prefix}-function-build"
  display_name = "Cloud Functions builds"
}

resource "google_project_iam_member" "build" {
  project = var.project_id
  role    = "roles/run.builder"
  member  = "serviceAccount:${google_service_account.build.email}"
}

resource "google_storage_bucket_iam_member" "build_bundles_reader" {
  bucket = google_storage_bucket.bundles.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.build.email}"
}
