# Secret Manager secrets. Terraform creates the secret only; its value is added out of band
#   printf '%s' "$VALUE" | gcloud secrets versions add analytics-key --data-file=-
# so no secret value lives in this repository or in Terraform state. A function lists the
# Settings names it reads from secrets (function_specs[*].secrets) and gets access to those only.

locals {
  # Settings field (upper case) => secret id.
  secret_env = {
    ANALYTICS_KEY = "analytics-key" # HMAC key that turns a uid into the user_key of analytics events
  }
}

resource "google_secret_manager_secret" "secrets" {
  for_each  = toset(values(local.secret_env))
  project   = var.project_id
  secret_id = each.key
  labels    = local.labels

  # A version destroyed (rotation step 5, OPERATIONS.md) is disabled at once and destroyed a
  # week later: one destroyed by mistake (the functions read `latest`; a mistyped number) can
  # be re-enabled meanwhile. Destroyed, it is gone, and every user key derived from it with it.
  version_destroy_ttl = "604800s"

  replication {
    auto {}
  }

  depends_on = [google_project_service.services] # created with them on a new project

  # Destroying the secret destroys every version of the HMAC key, and the pseudonymous user
  # keys in analytics could never be matched to a user again (an erasure, a retention choice).
  # Renaming the secret (its id in secret_env, the for_each key) or changing its replication
  # would do that: the plan fails instead. Remove this only to delete the key on purpose.
  lifecycle {
    prevent_destroy = true
  }
}
