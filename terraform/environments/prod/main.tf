locals {
  ion_env = "prod"
  labels = {
    application = "ion-mentoring"
    environment = local.ion_env
  }
  repo_root = "${path.root}/../../.."
  # Settings every function reads. Keys are exactly the upper-cased field names of
  # common.config.Settings (tests/unit/test_terraform.py checks it); a function adds its own in
  # local.functions[*].env, and secrets in local.functions[*].secrets.
  settings_env = {
    CONTEXT_WINDOW_TURNS = var.app_config.context_window_turns
    EVENTS_TOPIC         = module.events.name
    FIRESTORE_DATABASE   = module.firestore.database_name
    GEMINI_LOCATION      = var.app_config.gemini_location
    GEMINI_MODEL         = var.app_config.gemini_model
    GOOGLE_CLOUD_PROJECT = var.project_id
    ION_ENV              = local.ion_env
    LOG_LEVEL            = upper(var.app_config.log_level)
    NOTIFICATIONS_TOPIC  = module.notifications.name
    RESPONSE_GENERATOR   = var.app_config.response_generator
    SESSION_TTL_HOURS    = var.app_config.session_ttl_hours
  }
}
