resource "google_pubsub_topic" "topic" {
  #checkov:skip=CKV_GCP_83:CMEK is opt-in (topic_config.kms_key_name); events carry no raw uid or text, and Google-managed keys encrypt them at rest.
  project                    = var.project_id
  kms_key_name               = var.topic_config.kms_key_name
  name                       = var.name
  labels                     = var.topic_config.labels
  message_retention_duration = var.topic_config.message_retention_duration
}
