output "api_url" {
  description = "Base URL of the API (API Gateway)."
  value       = "https://${module.api_gateway.hostname}"
}

output "bundle_bucket" {
  description = "Bucket holding the function source bundles."
  value       = google_storage_bucket.bundles.name
}

output "functions" {
  description = "Deployed functions: name, HTTPS endpoint and service account."
  value = {
    for name, f in module.function : name => {
      name            = f.function_name
      service_account = f.service_account_email
      uri             = f.uri
    }
  }
}

output "model" {
  description = "The persona model's registry, artifact bucket and Vertex AI endpoint."
  value = {
    artifacts_bucket = module.model.artifacts_bucket
    endpoint_id      = module.model.endpoint_id
    predict_url      = module.model.predict_url
    repository_url   = module.model.repository_url
  }
}

output "retraining" {
  description = "The weekly retraining job (null until model_config.retraining_image is set)."
  value = length(local.retraining) == 0 ? null : {
    job             = google_cloud_run_v2_job.retraining["retraining"].name
    schedule        = google_cloud_scheduler_job.retraining["retraining"].name
    service_account = google_service_account.retraining["retraining"].email
  }
}

output "scheduler_service_account" {
  description = "Identity of the Cloud Scheduler jobs."
  value       = google_service_account.scheduler.email
}

output "secrets" {
  description = "Secret Manager secrets by id (values are added out of band)."
  value       = { for id, s in google_secret_manager_secret.secrets : id => s.id }
}

output "topics" {
  description = "Pub/Sub topic ids."
  value = {
    events                    = module.events.id
    events_dead_letter        = module.events_dead_letter.id
    notifications             = module.notifications.id
    notifications_dead_letter = module.notifications_dead_letter.id
  }
}
