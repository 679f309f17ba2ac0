# One service account per function: its runtime identity, granted only what this function needs.

locals {
  service_account_id = coalesce(var.service_account_config.account_id, local.name)
  # Built from known values so that callers can use it in for_each maps and IAM bindings at plan
  # time; the outputs that expose it depend on the account itself.
  service_account_email = "${local.service_account_id}@${var.project_id}.iam.gserviceaccount.com"
}

resource "google_service_account" "function" {
  project      = var.project_id
  account_id   = local.service_account_id
  display_name = coalesce(var.service_account_config.display_name, "Cloud Function ${local.name}")
  description  = "Runtime identity of the ${local.name} Cloud Function."

  lifecycle {
    precondition {
      condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", local.service_account_id))
      error_message = "Service account id '${local.service_account_id}' must be 6-30 characters of lowercase letters, digits and hyphens: set service_account_config.account_id."
    }
  }
}
