# The weekly retraining of the persona model (model_serving/retrain.py): a Cloud Run job, not a
# function. It needs scikit-learn and the model's encoder (several GB of memory, up to an hour
# of CPU), which do not fit the functions' runtime or bundle, so it runs the retraining image
# (model_serving/Dockerfile.retrain: model_serving/ + common/, requirements-retrain.txt, the
# build's artifact baked in) as `python -m model_serving.retrain --target vertex`. Its champion is
# what serves: the deployed model taking the most traffic on the endpoint (a retrained version's
# folder in the bucket; for a build version, the baked-in artifact).
#
# Cloud Scheduler starts an execution weekly through the Cloud Run Admin API (jobs.run) with an
# OAuth token of the scheduler's identity, which may run this job only. The job's own identity
# may: read the two analytics tables it queries and run queries (rated turns), read and write
# the artifact bucket (champion, challenger, decision reports), and read the endpoint and the
# models, register a model version and deploy it to the endpoint with a traffic split (a custom
# role: nothing else of Vertex AI). Vertex AI's service agent reads the uploaded artifact from
# the bucket.
#
# Like a function spec without code, the job exists once its image does: set
# model_config.retraining_image (the environments pass var.retraining_image; Cloud Build pushes
# the image, and passes its serving image as var.serving_image). Until then nothing here is
# created.

locals {
  retraining = var.model_config.retraining_image == null ? {} : {
    retraining = {
      image    = var.model_config.retraining_image
      schedule = var.model_config.retraining_schedule
    }
  }
  # RETRAIN_SERVING_IMAGE: retrained versions run the serving image of the build that last
  # applied this (persona-model:<serving key>, from the commit of this job's image), not one
  # borrowed from an older version. The registry never deletes serving images
  # (modules/model-serving), so a retrained version keeps its image as long as it may be
  # deployed. Without it (an apply by hand) the job borrows one (model_serving/vertex.py).
  # PERSONALIZATION_POLICY: its off-policy estimates replay the policy chat runs
  # (model_serving/offpolicy.py).
  retraining_env = merge(
    {
      ANALYTICS_DATASET      = module.bigquery.dataset_id
      GOOGLE_CLOUD_PROJECT   = var.project_id
      ION_ENV                = var.env
      LOG_LEVEL              = upper(var.app_config.log_level)
      PERSONALIZATION_POLICY = var.app_config.personalization_policy
      RETRAIN_BUCKET         = module.model.artifacts_bucket
      RETRAIN_CANARY_PERCENT = var.model_config.canary_percent
      RETRAIN_ENDPOINT_ID    = module.model.endpoint_id
      RETRAIN_REGION         = var.region
      RETRAIN_TARGET         = "vertex"
    },
    var.model_config.serving_image == null ? {} : {
      RETRAIN_SERVING_IMAGE = var.model_config.serving_image
    },
  )
  retraining_roles = ["roles/bigquery.jobUser"]
  # The Vertex AI calls of model_serving/vertex.py (google-cloud-aiplatform): list the models,
  # upload a version (its operation and the version are read with models.get), read the
  # endpoint and deploy to it (its operation: endpoints.get), then mark the version deployed
  # (mergeVersionAliases: models.update). Not roles/aiplatform.user, which would also let it
  # predict, undeploy, delete models and endpoints, train and call Gemini.
  retraining_vertex_permissions = [
    "aiplatform.endpoints.deploy",
    "aiplatform.endpoints.get",
    "aiplatform.models.get",
    "aiplatform.models.list",
    "aiplatform.models.update",
    "aiplatform.models.upload",
  ]
  # The tables model_serving/feedback.py queries, and nothing else of the dataset. The view is
  # not an authorised view, so its reader needs the tables it reads too: feedback_final reads
  # events only.
  retraining_tables = {
    events         = module.bigquery.events_table_name
    feedback_final = module.bigquery.views["feedback_final"]
  }
}

resource "google_service_account" "retraining" {
  for_each     = local.retraining
  project      = var.project_id
  account_id   = "${var.prefix}-retraining"
  display_name = "Persona model retraining job"
}

resource "google_project_iam_member" "retraining" {
  for_each = toset(length(local.retraining) > 0 ? local.retraining_roles : [])
  project  = var.project_id
  role     = each.key
  member   = "serviceAccount:${google_service_account.retraining["retraining"].email}"
}

resource "google_project_iam_custom_role" "retraining" {
  for_each    = local.retraining
  project     = var.project_id
  role_id     = "${replace(var.prefix, "-", "_")}_retraining"
  title       = "Persona model retraining (${var.prefix})"
  description = "Register a persona model version and deploy it to the endpoint (model_serving/vertex.py)."
  permissions = local.retraining_vertex_permissions
}

resource "google_project_iam_member" "retraining_vertex" {
  for_each = local.retraining
  project  = var.project_id
  role     = google_project_iam_custom_role.retraining[each.key].name
  member   = "serviceAccount:${google_service_account.retraining[each.key].email}"
}

resource "google_bigquery_table_iam_member" "retraining" {
  for_each   = length(local.retraining) > 0 ? local.retraining_tables : {}
  project    = var.project_id
  dataset_id = module.bigquery.dataset_id
  table_id   = each.value
  role       = "roles/bigquery.dataViewer"
  member     = "serviceAccount:${google_service_account.retraining["retraining"].email}"
}

resource "google_storage_bucket_iam_member" "retraining_artifacts" {
  for_each = local.retraining
  bucket   = module.model.artifacts_bucket
  role     = "roles/storage.objectAdmin"
  member   = "serviceAccount:${google_service_account.retraining[each.key].email}"
}

# Vertex AI's service agent exists only once Vertex AI was first used, not when its API is
# enabled: created here, so that a new project's first apply can grant it.
resource "google_project_service_identity" "aiplatform" {
  provider = google-beta
  project  = var.project_id
  service  = "aiplatform.googleapis.com"
}

# Vertex AI copies a model version's artifact_uri when the version is uploaded.
resource "google_storage_bucket_iam_member" "vertex_reads_artifacts" {
  for_each = local.retraining
  bucket   = module.model.artifacts_bucket
  role     = "roles/storage.objectViewer"
  member   = google_project_service_identity.aiplatform.member
}

resource "google_cloud_run_v2_job" "retraining" {
  for_each            = local.retraining
  project             = var.project_id
  location            = var.region
  name                = "${var.prefix}-retraining"
  labels              = local.labels
  deletion_protection = false

  template {
    task_count  = 1
    parallelism = 1
    labels      = local.labels

    template {
      service_account = google_service_account.retraining[each.key].email
      timeout         = "3600s"
      max_retries     = 1 # a retry rebuilds the same version: the job is idempotent

      containers {
        image   = each.value.image
        command = ["python"]
        # --jobs: as many cross-validation processes as the CPU limit below; its default,
        # os.cpu_count(), counts the host's cores inside a Cloud Run container, not the limit.
        args = ["-m", "model_serving.retrain", "--target", "vertex", "--jobs", "4"]

        resources {
          limits = {
            cpu    = "4"
            memory = "8Gi"
          }
        }

        dynamic "env" {
          for_each = local.retraining_env
          content {
            name  = env.key
            value = env.value
          }
        }
      }
    }
  }
}

# Only the scheduler's identity may start it.
resource "google_cloud_run_v2_job_iam_member" "retraining_scheduler" {
  for_each = local.retraining
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_job.retraining[each.key].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler.email}"
}

resource "google_cloud_scheduler_job" "retraining" {
  for_each         = local.retraining
  project          = var.project_id
  region           = var.region
  name             = "${var.prefix}-retraining"
  description      = "Retrain the persona model; promote only a challenger that is no worse."
  schedule         = each.value.schedule
  time_zone        = "Etc/UTC"
  attempt_deadline = "180s" # jobs.run returns once the execution has started

  retry_config {
    retry_count = 1
  }

  http_target {
    http_method = "POST"
    uri         = "https://run.googleapis.com/v2/projects/${var.project_id}/locations/${var.region}/jobs/${google_cloud_run_v2_job.retraining[each.key].name}:run"
    body        = base64encode("{}")
    headers = {
      "Content-Type" = "application/json"
    }
    # A Google API (not a Cloud Run URL) takes an OAuth access token, not an OIDC ID token.
    oauth_token {
      service_account_email = google_service_account.scheduler.email
      scope                 = "https://www.googleapis.com/auth/cloud-platform"
    }
  }
}
