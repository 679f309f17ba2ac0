resource "google_pubsub_topic" "topic" {
  #checkov:skip=CKV_GCP_83:CMEK is not supported (terraform/README.md, Encryption); events carry no raw uid or text, and Google-managed keys encrypt them at rest.
  project                    = var.project_id
  name                       = var.name
  labels                     = var.topic_config.labels
  message_retention_duration = var.topic_config.message_retention_duration
}
