output "artifacts_bucket" {
  description = "Bucket of model artifacts."
  value       = google_storage_bucket.artifacts.name
}

output "endpoint_id" {
  description = "Numeric id of the Vertex AI endpoint."
  value       = var.endpoint_id
}

output "predict_url" {
  description = "REST :predict URL of the endpoint, the chat function's MODEL_PREDICT_URL (known at plan time)."
  value       = "https://${var.region}-aiplatform.googleapis.com/v1/projects/${var.project_id}/locations/${var.region}/endpoints/${var.endpoint_id}:predict"
}

output "repository_url" {
  description = "Docker repository URL (REGION-docker.pkg.dev/PROJECT/REPO)."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.containers.repository_id}"
}
