output "alert_policies" {
  description = "Alert policy names."
  value = concat(
    [
      google_monitoring_alert_policy.chat_latency.name,
      google_monitoring_alert_policy.server_errors.name,
      google_monitoring_alert_policy.uptime.name,
    ],
    [for p in google_monitoring_alert_policy.dead_letter_backlog : p.name],
  )
}

output "uptime_check_id" {
  description = "Id of the /healthz uptime check."
  value       = google_monitoring_uptime_check_config.healthz.uptime_check_id
}
