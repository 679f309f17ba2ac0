resource "google_monitoring_notification_channel" "email" {
  for_each     = toset(var.notification_emails)
  project      = var.project_id
  display_name = "ION Mentoring on-call: ${each.key}"
  type         = "email"
  labels = {
    email_address = each.key
  }
}

locals {
  channels = [for c in google_monitoring_notification_channel.email : c.id]
}
