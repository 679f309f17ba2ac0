# The persona model: serving image registry, artifact bucket, Vertex AI endpoint.

module "model" {
  source            = "../modules/model-serving"
  project_id        = var.project_id
  region            = var.region
  prefix            = var.prefix
  labels            = local.labels
  access_log_bucket = google_storage_bucket.access_logs.name
  endpoint_id       = var.model_config.endpoint_id
  keep_images       = var.model_config.keep_images

  # The registry is created with the services on a new project (services.tf); the module reads
  # no data source, so this defers nothing.
  depends_on = [google_project_service.services]
}
