# The whole ION Mentoring backend in one project, composed from the modules in ../modules. The
# environments (../environments/dev, ../environments/prod) are thin roots that call this with
# their own values; everything they share is here, once.

locals {
  labels = {
    application = "ion-mentoring"
    environment = var.env
  }
  repo_root = "${path.module}/../.."
  # Settings every function reads. Keys are exactly the upper-cased field names of
  # common.config.Settings (tests/unit/test_terraform.py checks it); a function adds its own in
  # local.function_specs[*].env, and secrets in local.function_specs[*].secrets.
  settings_env = {
    FIRESTORE_DATABASE   = module.firestore.database_name
    GOOGLE_CLOUD_PROJECT = var.project_id
    ION_ENV              = var.env
    LOG_LEVEL            = upper(var.app_config.log_level)
    SESSION_TTL_HOURS    = var.app_config.session_ttl_hours
  }
}

data "google_project" "project" {
  project_id = var.project_id
}
