# The Cloud Functions. functions/<name>/main.py defines the entry point <name>; each bundle holds
# that folder plus common/ and requirements.txt. A spec whose folder does not exist yet is not
# deployed (functions being written land with their code, no Terraform change needed); the
# scheduler jobs and subscriptions that target it follow the same rule. Every spec lists every
# key. Invokers: the API Gateway for API functions, the Pub/Sub push identity for event-driven
# ones, the scheduler's identity for jobs; nothing is public.

locals {
  api_invokers = { gateway = "serviceAccount:${google_service_account.gateway.email}" }
  job_invokers = { scheduler = "serviceAccount:${google_service_account.scheduler.email}" }
  push_invokers = {
    push = "serviceAccount:${google_service_account.pubsub_push.email}"
  }
  # Who verifies Firebase ID tokens with revocation checks (firebase-admin get_user).
  auth_roles = ["roles/firebaseauth.viewer"]
  # The API functions that also read and write Firestore (chat, devices, feedback, profile).
  auth_firestore_roles = concat(local.auth_roles, ["roles/datastore.user"])

  function_specs = {
    # Events: Pub/Sub push on `events` (events-analytics-sink): writes the BigQuery events table.
    analytics_sink = {
      description  = "Writes every event into the BigQuery events table, once per event_id."
      concurrency  = 8
      cpu          = "1"
      dataset_role = null # streams rows into the events table only (no jobs): see events_writer
      env = {
        ANALYTICS_DATASET = module.bigquery.dataset_id
        DEAD_LETTER_TOPIC = module.events_dead_letter.name
      }
      ingress         = "ALLOW_INTERNAL_ONLY" # Pub/Sub push in the same project is internal
      invokers        = local.push_invokers
      kind            = "push"
      max_instances   = 10
      memory_mb       = 512
      min_instances   = 0
      project_roles   = []
      publishes_to    = ["events-dead-letter"] # refused rows, with the reason
      secrets         = []
      timeout_seconds = 60
    }
    # POST /v2/chat/turns, GET /v2/sessions/*, POST /api/chat/enhanced and GET /healthz. Its
    # Vertex AI calls (the persona endpoint, Gemini) are granted below (chat_predict).
    chat = {
      description  = "Chat turns, sessions and the legacy enhanced chat endpoint."
      concurrency  = 4 # functions-framework serves 4 threads per vCPU
      cpu          = "1"
      dataset_role = null
      # EXPERIMENTS: chat is the one function that assigns variants (feedback takes the one
      # stored with the rated turn); made one line, the environments' experiments.json is
      # written for people.
      env = {
        CONTEXT_WINDOW_TURNS   = var.app_config.context_window_turns
        EXPERIMENTS            = jsonencode(jsondecode(var.app_config.experiments))
        GEMINI_LOCATION        = var.app_config.gemini_location
        GEMINI_MODEL           = var.app_config.gemini_model
        GEMINI_THINKING_LEVEL  = var.app_config.gemini_thinking_level
        MODEL_GOOGLE_AUTH      = "true"
        MODEL_PREDICT_URL      = module.model.predict_url
        PERSONALIZATION_POLICY = var.app_config.personalization_policy
        RESPONSE_GENERATOR     = var.app_config.response_generator
      }
      ingress         = "ALLOW_ALL" # API Gateway reaches it over its public endpoint; IAM guards it
      invokers        = local.api_invokers
      kind            = "api"
      max_instances   = 20
      memory_mb       = 1024
      min_instances   = 0
      project_roles   = local.auth_firestore_roles
      publishes_to    = ["events"]
      secrets         = ["ANALYTICS_KEY"]
      timeout_seconds = 60
    }
    # POST /v2/devices, DELETE /v2/devices/{token}.
    devices = {
      description     = "Registers and removes the user's FCM device tokens."
      concurrency     = 4
      cpu             = "1"
      dataset_role    = null
      env             = {}
      ingress         = "ALLOW_ALL"
      invokers        = local.api_invokers
      kind            = "api"
      max_instances   = 5
      memory_mb       = 512
      min_instances   = 0
      project_roles   = local.auth_firestore_roles
      publishes_to    = []
      secrets         = []
      timeout_seconds = 30
    }
    # POST /v2/feedback.
    feedback = {
      description     = "Ratings of turns: thumbs up/down or 1-5, idempotent per user and turn."
      concurrency     = 4
      cpu             = "1"
      dataset_role    = null
      env             = {}
      ingress         = "ALLOW_ALL"
      invokers        = local.api_invokers
      kind            = "api"
      max_instances   = 10
      memory_mb       = 512
      min_instances   = 0
      project_roles   = local.auth_firestore_roles
      publishes_to    = ["events"]
      secrets         = ["ANALYTICS_KEY"]
      timeout_seconds = 30
    }
    # GET /v2/insights/... and the dashboard: operators only (custom claim role: operator).
    insights = {
      description     = "Operators' analytics API and dashboard over the BigQuery views."
      concurrency     = 4
      cpu             = "1"
      dataset_role    = "roles/bigquery.dataViewer"
      env             = { ANALYTICS_DATASET = module.bigquery.dataset_id }
      ingress         = "ALLOW_ALL"
      invokers        = local.api_invokers
      kind            = "api"
      max_instances   = 3
      memory_mb       = 512
      min_instances   = 0
      project_roles   = concat(local.auth_roles, ["roles/bigquery.jobUser"]) # no Firestore
      publishes_to    = []
      secrets         = []
      timeout_seconds = 60
    }
    # Cloud Scheduler: the weekly insight (Sundays) and the re-engagement nudge (daily).
    notification_producers = {
      description  = "Weekly insights for active users; re-engagement nudges for users at risk."
      concurrency  = 1
      cpu          = null
      dataset_role = "roles/bigquery.dataViewer" # reads the churn_risk view
      env = {
        ANALYTICS_DATASET          = module.bigquery.dataset_id
        REENGAGEMENT_COOLDOWN_DAYS = var.app_config.reengagement_cooldown_days
        REENGAGEMENT_MIN_RISK      = var.app_config.reengagement_min_risk
      }
      ingress         = "ALLOW_INTERNAL_ONLY"
      invokers        = local.job_invokers
      kind            = "job"
      max_instances   = 1 # runs never overlap
      memory_mb       = 512
      min_instances   = 0
      project_roles   = ["roles/bigquery.jobUser", "roles/datastore.user"]
      publishes_to    = ["notifications"] # after the outbox write; the relay if that fails
      secrets         = ["ANALYTICS_KEY"] # uid -> user_key, to match churn_risk rows
      timeout_seconds = 540
    }
    # Cloud Scheduler, every minute: delivers the Firestore outbox.
    outbox_relay = {
      description     = "Delivers pending events from the Firestore outbox to Pub/Sub."
      concurrency     = 1
      cpu             = null
      dataset_role    = null
      env             = {}
      ingress         = "ALLOW_INTERNAL_ONLY" # Cloud Scheduler in the same project is internal
      invokers        = local.job_invokers
      kind            = "job"
      max_instances   = 1 # one relay at a time keeps duplicate deliveries rare
      memory_mb       = 512
      min_instances   = 0
      project_roles   = ["roles/datastore.user"]
      publishes_to    = ["events", "notifications"] # an outbox entry names its topic
      secrets         = []
      timeout_seconds = 60
    }
    # GET/PATCH/DELETE /v2/profile, GET /v2/profile/export.
    profile = {
      description     = "The user's settings, learned preferences, export and erasure."
      concurrency     = 4
      cpu             = "1"
      dataset_role    = null
      env             = {}
      ingress         = "ALLOW_ALL"
      invokers        = local.api_invokers
      kind            = "api"
      max_instances   = 5
      memory_mb       = 512
      min_instances   = 0
      project_roles   = local.auth_firestore_roles
      publishes_to    = ["events"]
      secrets         = ["ANALYTICS_KEY"]
      timeout_seconds = 300 # erasure deletes in batches
    }
    # Pub/Sub push on `events` (events-profile-updater).
    profile_updater = {
      description     = "Learns each user's persona preferences from turn and feedback events."
      concurrency     = 8
      cpu             = "1"
      dataset_role    = null
      env             = {}
      ingress         = "ALLOW_INTERNAL_ONLY"
      invokers        = local.push_invokers
      kind            = "push"
      max_instances   = 10
      memory_mb       = 512
      min_instances   = 0
      project_roles   = ["roles/datastore.user"]
      publishes_to    = []
      secrets         = []
      timeout_seconds = 60
    }
    # Pub/Sub push on `notifications` (notifications-push-sender): FCM HTTP v1.
    push_sender = {
      description     = "Sends push notifications through FCM within each user's settings."
      concurrency     = 8
      cpu             = "1"
      dataset_role    = null
      env             = {}
      ingress         = "ALLOW_INTERNAL_ONLY"
      invokers        = local.push_invokers
      kind            = "push"
      max_instances   = 5
      memory_mb       = 512
      min_instances   = 0
      project_roles   = ["roles/datastore.user"] # FCM sends: push_send below
      publishes_to    = ["events"]               # push.sent
      secrets         = ["ANALYTICS_KEY"]
      timeout_seconds = 60
    }
    # Cloud Scheduler, hourly: expiry, retention, the analytics part of erasures, and the
    # erasure of users whose Firebase Auth account is gone (reads Auth: auth_roles).
    session_cleanup = {
      description     = "Deletes expired and past-retention data, finishes erasures, erases deleted accounts."
      concurrency     = 1
      cpu             = null
      dataset_role    = null # DML DELETE on the events table only: see events_writer
      env             = { ANALYTICS_DATASET = module.bigquery.dataset_id }
      ingress         = "ALLOW_INTERNAL_ONLY"
      invokers        = local.job_invokers
      kind            = "job"
      max_instances   = 1 # runs never overlap
      memory_mb       = 512
      min_instances   = 0
      project_roles   = concat(local.auth_roles, ["roles/bigquery.jobUser", "roles/datastore.user"])
      publishes_to    = []
      secrets         = ["ANALYTICS_KEY"] # uid -> user_key of its session.ended events
      timeout_seconds = 540
    }
  }

  # Deployed: the specs whose code exists, with this environment's scaling overrides.
  functions = {
    for name, spec in local.function_specs :
    name => merge(spec, lookup(var.function_overrides, name, {}))
    if fileexists("${local.repo_root}/functions/${name}/main.py")
  }
}

module "function" {
  source      = "../modules/function"
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
    extra_files = {
      "requirements.txt" = "${local.repo_root}/requirements.txt"
      "constraints.txt"  = "${local.repo_root}/constraints.txt" # requirements.txt uses it
    }
  }
  environment_variables = merge(local.settings_env, each.value.env)
  function_config = {
    entry_point           = each.key
    build_service_account = google_service_account.build.id
    concurrency           = each.value.concurrency
    cpu                   = each.value.cpu
    docker_repository     = google_artifact_registry_repository.function_images.id
    ingress               = each.value.ingress
    max_instances         = each.value.max_instances
    memory_mb             = each.value.memory_mb
    min_instances         = each.value.min_instances
    timeout_seconds       = each.value.timeout_seconds
  }
  invoker_config = {
    members = each.value.invokers
  }
  secrets = {
    for name in each.value.secrets : name => {
      secret = google_secret_manager_secret.secrets[local.secret_env[name]].secret_id
    }
  }
  service_account_config = {
    # Service account ids are at most 30 characters: "ion-prod-notification-producers" is 31.
    account_id = (
      contains(keys(local.short_account_names), each.key)
      ? "${var.prefix}-${local.short_account_names[each.key]}"
      : null
    )
    project_roles = each.value.project_roles
  }
  # A function's first build runs as the build account: its grants must be in place first.
  depends_on = [google_project_iam_member.build, google_storage_bucket_iam_member.build_bundles_reader]
}

locals {
  short_account_names = { notification_producers = "notif-producers" }
}

# Source bundles, one object per content hash and function; old objects expire.
resource "google_storage_bucket" "bundles" {
  project                     = var.project_id
  name                        = "${var.project_id}-${var.prefix}-function-bundles"
  location                    = var.region
  labels                      = local.labels
  public_access_prevention    = "enforced"
  uniform_bucket_level_access = true

  versioning {
    enabled = true
  }

  logging {
    log_bucket = google_storage_bucket.access_logs.name
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }

  # Cloud Build's copy of each build's zips (cloudbuild.yaml, artifacts: builds/<SHORT_SHA>/):
  # a record, read by nothing (a rollback retries the build, which zips its source again; the
  # functions deploy from the content-hashed bundles above). Each build added a copy of every
  # function; after 30 days it becomes noncurrent, and the rule above deletes it 30 days later.
  lifecycle_rule {
    condition {
      age            = 30
      matches_prefix = ["builds/"]
    }
    action {
      type = "Delete"
    }
  }
}

# The functions' container images: a build pushes one per function and deploy, and GCF's
# default gcf-artifacts repository keeps them all. Each function's newest function_images_kept
# stay (what serves, and a redeploy's rollback), older ones go after 30 days. No grant is
# added: the build account's project-wide roles/run.builder (below) uploads to and reads any
# repository of the project, and the Cloud Functions and Cloud Run service agents' own roles
# read the project's repositories (a repository of the same project and region: GCF's rule).
resource "google_artifact_registry_repository" "function_images" {
  #checkov:skip=CKV_GCP_84:CMEK is not supported (terraform/README.md, Encryption): Google-managed keys encrypt it at rest.
  project       = var.project_id
  location      = var.region
  repository_id = "${var.prefix}-function-images"
  description   = "Cloud Functions' container images (GCF builds them from the source bundles)."
  format        = "DOCKER"
  labels        = local.labels

  cleanup_policy_dry_run = false
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = local.function_images_kept # per package: each function's image and its cache
    }
  }
  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      older_than = "2592000s" # 30 days, unless kept above
    }
  }
}

locals {
  function_images_kept = 3
}

# Access logs of the buckets above and of the model artifacts.
resource "google_storage_bucket" "access_logs" {
  #checkov:skip=CKV_GCP_62:This is the access-log bucket itself; logging it into itself would loop.
  project                     = var.project_id
  name                        = "${var.project_id}-${var.prefix}-access-logs"
  location                    = var.region
  labels                      = local.labels
  public_access_prevention    = "enforced"
  uniform_bucket_level_access = true

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age = 365
    }
    action {
      type = "Delete"
    }
  }
}

# Cloud Storage writes the usage logs as this group; with uniform bucket-level access only IAM
# can let it (without it the logged buckets' logs are never written).
resource "google_storage_bucket_iam_member" "access_log_writer" {
  bucket = google_storage_bucket.access_logs.name
  role   = "roles/storage.objectCreator"
  member = "group:cloud-storage-analytics@google.com"
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

# The events table's writers, on that table only: the analytics sink streams rows in
# (insertAll, common/analytics/warehouse.py; no job), the cleanup job deletes rows (erasure,
# retention). Neither touches another table but the cleanup job's retention choices (below).
resource "google_bigquery_table_iam_member" "events_writer" {
  for_each   = toset(["analytics_sink", "session_cleanup"])
  project    = var.project_id
  dataset_id = module.bigquery.dataset_id
  table_id   = module.bigquery.events_table_name
  role       = "roles/bigquery.dataEditor"
  member     = module.function[each.key].service_account_iam_email
}

# The cleanup job rewrites the users' retention choices its retention DELETE reads.
resource "google_bigquery_table_iam_member" "retention_choices_writer" {
  project    = var.project_id
  dataset_id = module.bigquery.dataset_id
  table_id   = module.bigquery.retention_choices_table_name
  role       = "roles/bigquery.dataEditor"
  member     = module.function["session_cleanup"].service_account_iam_email
}

# Applied before as their own resources: the same grants, kept (no destroy/create).
moved {
  from = google_bigquery_table_iam_member.cleanup_events
  to   = google_bigquery_table_iam_member.events_writer["session_cleanup"]
}

moved {
  from = google_bigquery_table_iam_member.sink_events
  to   = google_bigquery_table_iam_member.events_writer["analytics_sink"]
}

# Functions that read or write analytics get that dataset only.
resource "google_bigquery_dataset_iam_member" "functions" {
  for_each   = { for name, f in local.functions : name => f.dataset_role if f.dataset_role != null }
  project    = var.project_id
  dataset_id = module.bigquery.dataset_id
  role       = each.value
  member     = module.function[each.key].service_account_iam_email
}

# Custom roles where a predefined role would grant far more, by the function they are for.
locals {
  function_custom_roles = {
    # The chat function's Vertex AI calls: predict on the persona model's endpoint and Gemini's
    # generateContent, both aiplatform.endpoints.predict. Not roles/aiplatform.user, which would
    # also let the internet-facing function undeploy or delete models and endpoints and train.
    chat = {
      id          = "chat_predict"
      title       = "Chat: Vertex AI predictions"
      description = "Predict on the persona model endpoint and call Gemini (common/model_client.py, common/replies/gemini.py)."
      permissions = ["aiplatform.endpoints.predict"]
    }
    # The push sender's FCM HTTP v1 sends (firebase_admin.messaging.send, one request per device). Not
    # roles/firebasecloudmessaging.admin, which also manages the project's FCM configuration.
    push_sender = {
      id          = "push_send"
      title       = "Push sender: FCM sends"
      description = "Send FCM HTTP v1 messages (common/adapters/fcm_sender.py)."
      permissions = ["cloudmessaging.messages.create"]
    }
  }
}

resource "google_project_iam_custom_role" "function" {
  for_each    = local.function_custom_roles
  project     = var.project_id
  role_id     = "${replace(var.prefix, "-", "_")}_${each.value.id}"
  title       = "${each.value.title} (${var.prefix})"
  description = each.value.description
  permissions = each.value.permissions
}

resource "google_project_iam_member" "function_custom_role" {
  for_each = { for name, role in local.function_custom_roles : name => role if contains(keys(local.functions), name) }
  project  = var.project_id
  role     = google_project_iam_custom_role.function[each.key].name
  member   = module.function[each.key].service_account_iam_email
}

# Applied before as their own resources: the same roles and grants, kept (no destroy/create).
moved {
  from = google_project_iam_custom_role.chat_predict
  to   = google_project_iam_custom_role.function["chat"]
}

moved {
  from = google_project_iam_member.chat_predict["chat"]
  to   = google_project_iam_member.function_custom_role["chat"]
}

moved {
  from = google_project_iam_custom_role.push_send
  to   = google_project_iam_custom_role.function["push_sender"]
}

moved {
  from = google_project_iam_member.push_send["push_sender"]
  to   = google_project_iam_member.function_custom_role["push_sender"]
}
