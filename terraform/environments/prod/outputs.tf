output "api_url" {
  description = "Base URL of the API."
  value       = module.ion.api_url
}

output "functions" {
  description = "Deployed functions: name, HTTPS endpoint and service account."
  value       = module.ion.functions
}

output "model" {
  description = "The persona model's registry, artifact bucket and Vertex AI endpoint."
  value       = module.ion.model
}

output "retraining" {
  description = "The weekly retraining job, its schedule and identity (null until retraining_image is set)."
  value       = module.ion.retraining
}

output "topics" {
  description = "Pub/Sub topic ids."
  value       = module.ion.topics
}
