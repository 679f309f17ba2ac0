# Secret Manager secrets. Terraform creates the secret only; its value is added out of band
#   printf '%s' "$VALUE" | gcloud secrets versions add analytics-key --data-file=-
# so no secret value lives in this repository or in Terraform state. Functions read a secret
# through local.functions[*].secrets, which also grants them access to that secret only.

locals {
  secrets = toset([
    "analytics-key", # HMAC key that turns a uid into the user_key of analytics events
  ])
}

resource "google_secret_manager_secret" "secrets" {
  for_each  = local.secrets
  project   = var.project_id
  secret_id = each.key
  labels    = local.labels

  replication {
    auto {}
  }
}
