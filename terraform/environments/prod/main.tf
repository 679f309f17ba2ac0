# prod: the whole stack with prod's values. Everything else is in ../../stack.
module "ion" {
  source     = "../../stack"
  env        = "prod"
  prefix     = "ion-prod"
  project_id = var.project_id
  region     = var.region
  alerting_config = {
    budget = var.billing_account == null || var.billing_account == "" ? null : {
      amount          = 2000
      billing_account = var.billing_account
    }
    notification_emails = var.notification_emails
    thresholds = {
      chat_p95_latency_ms = 2000
    }
  }
  app_config = {
    experiments = file("${path.module}/experiments.json") # docs/OPERATIONS.md, "A/B tests"
  }
  # Point-in-time recovery reaches 7 days back and goes with the database; daily backups
  # (14 days) survive its deletion and damage noticed late. Each holds erased users' data for
  # those days: a restore erases them again (OPERATIONS.md, Restore Firestore).
  firestore_config = {
    backup_retention_days  = 14
    point_in_time_recovery = true
  }
  # No cold start on the first message.
  function_overrides = {
    chat = { min_instances = 1 }
  }
  model_config = {
    retraining_image = var.retraining_image
    serving_image    = var.serving_image
  }
}
