resource "google_pubsub_topic" "topic" {
  project                    = var.project_id
  name                       = var.name
  labels                     = var.topic_config.labels
  message_retention_duration = var.topic_config.message_retention_duration
}
