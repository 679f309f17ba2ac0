# dev: the whole stack with dev's values. Everything else is in ../../stack.
module "ion" {
  source     = "../../stack"
  env        = "dev"
  prefix     = "ion-dev"
  project_id = var.project_id
  region     = var.region
  alerting_config = {
    budget = var.billing_account == null || var.billing_account == "" ? null : {
      amount          = 200
      billing_account = var.billing_account
    }
    notification_emails = var.notification_emails
  }
  app_config = {
    experiments = file("${path.module}/experiments.json") # docs/OPERATIONS.md, "A/B tests"
    log_level   = "DEBUG"
  }
  firestore_config = {
    delete_protection = false
  }
  model_config = {
    retraining_image = var.retraining_image
    serving_image    = var.serving_image
  }
}
