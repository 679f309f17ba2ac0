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

  replication {
    auto {}
  }

  depends_on = [google_project_service.services] # created with them on a new project
}
