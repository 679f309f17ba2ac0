output "hostname" {
  description = "The gateway's default hostname: the API's base URL is https://<hostname>."
  value       = google_api_gateway_gateway.gateway.default_hostname
}

