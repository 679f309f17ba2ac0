module "monitoring" {
  source              = "../modules/monitoring"
  project_id          = var.project_id
  project_number      = data.google_project.project.number
  prefix              = var.prefix
  labels              = local.labels
  notification_emails = var.alerting_config.notification_emails
  budget              = var.alerting_config.budget
  thresholds          = var.alerting_config.thresholds
  chat_service        = module.function["chat"].function_name
  api_services = [
    for name, f in local.functions : module.function[name].function_name if f.kind == "api"
  ]
  dead_letter_subscriptions = ["events-dead-letter", "notifications-dead-letter"]
  healthz_host              = module.api_gateway.hostname
}
