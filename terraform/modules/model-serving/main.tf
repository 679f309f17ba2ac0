# Where the persona model lives: the container registry its serving image is pushed to, the
# bucket of model artifacts, and the Vertex AI endpoint the chat function predicts on. Model
# versions are uploaded and deployed to the endpoint by Cloud Build (cloudbuild.yaml) and the
# retraining job, with a traffic split: Terraform owns the endpoint, not its deployments.

locals {
  # Never persona-model (the serving images): see the cleanup policies below.
  cleaned_packages = ["persona-retrain"]
}

resource "google_artifact_registry_repository" "containers" {
  #checkov:skip=CKV_GCP_84:CMEK is not supported (terraform/README.md, Encryption): Google-managed keys encrypt it at rest.
  project       = var.project_id
  location      = var.region
  repository_id = "${var.prefix}-containers"
  description   = "Container images: the persona model's serving and retraining images."
  format        = "DOCKER"
  labels        = var.labels

  docker_config {
    immutable_tags = true
  }

  # Only the retraining image (persona-retrain, a version per build; the job runs the newest)
  # is cleaned up. The serving image (persona-model, tagged by serving key: a version per model
  # or serving code change, a few hundred MB) is never deleted: every version of the Vertex AI
  # model runs one, deployed or a rollback target, and Vertex AI pulls it again for every
  # replica it starts. A package no DELETE policy names is kept whole.
  cleanup_policy_dry_run = false
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      package_name_prefixes = local.cleaned_packages
      keep_count            = var.keep_images
    }
  }
  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      package_name_prefixes = local.cleaned_packages
      older_than            = "2592000s" # 30 days, unless kept above
    }
  }

  # The only copy of every serving image: destroying the repository (a renamed repository_id,
  # a changed format or location replace it) takes every model version's image, and no
  # undeployed version could be deployed again (OPERATIONS.md, Models). The plan fails
  # instead; remove this only to delete the images on purpose.
  lifecycle {
    prevent_destroy = true
  }
}

resource "google_storage_bucket" "artifacts" {
  project                     = var.project_id
  name                        = "${var.project_id}-${var.prefix}-model-artifacts"
  location                    = var.region
  labels                      = var.labels
  public_access_prevention    = "enforced"
  uniform_bucket_level_access = true
  force_destroy               = false

  versioning {
    enabled = true
  }

  logging {
    log_bucket = var.access_log_bucket
  }
}

resource "google_vertex_ai_endpoint" "persona" {
  #checkov:skip=CKV2_GCP_24:CMEK is not supported (terraform/README.md, Encryption): Google-managed keys encrypt it at rest.
  #checkov:skip=CKV2_GCP_33:A private endpoint needs VPC peering and a connector on every caller; this serverless stack has no VPC, and every call needs IAM: of the stack's identities only the chat function's may predict (its custom role, terraform/stack/functions.tf), besides the deployers (Cloud Build's roles/aiplatform.user).
  project      = var.project_id
  location     = var.region
  region       = var.region
  name         = var.endpoint_id
  display_name = "${var.prefix}-persona-model"
  description  = "The persona model (model_serving/ custom container)."
  labels       = var.labels
}
