resource "google_monitoring_uptime_check_config" "healthz" {
  project      = var.project_id
  display_name = "${var.prefix}: GET /healthz"
  timeout      = "10s"
  period       = "300s"

  http_check {
    path           = "/healthz"
    port           = 443
    use_ssl        = true
    validate_ssl   = true
    request_method = "GET"
    accepted_response_status_codes {
      status_class = "STATUS_CLASS_2XX"
    }
  }

  monitored_resource {
    type = "uptime_url"
    labels = {
      project_id = var.project_id
      host       = var.healthz_host
    }
  }
}
