# IAM owned by this function: its service account's project roles, access to exactly the secrets it
# mounts, and who may invoke it. All grants are additive (_iam_member), never authoritative.

resource "google_project_iam_member" "service_account" {
  for_each = toset(var.service_account_config.project_roles)
  project  = var.project_id
  role     = each.key
  member   = "serviceAccount:${google_service_account.function.email}"
}

resource "google_secret_manager_secret_iam_member" "secret_accessor" {
  for_each  = var.secrets
  project   = coalesce(each.value.project_id, var.project_id)
  secret_id = each.value.secret
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.function.email}"
}

# A gen2 function is served by a Cloud Run service of the same name: invocation is run.invoker.
resource "google_cloud_run_service_iam_member" "invoker" {
  for_each = merge(
    { for k, v in { "all-users" = "allUsers" } : k => v if var.invoker_config.allow_unauthenticated },
    var.invoker_config.members
  )
  project  = var.project_id
  location = google_cloudfunctions2_function.function.location
  service  = google_cloudfunctions2_function.function.name
  role     = "roles/run.invoker"
  member   = each.value
}
