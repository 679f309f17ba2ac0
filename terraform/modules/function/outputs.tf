output "function_name" {
  description = "Name of the function (and of its Cloud Run service)."
  value       = google_cloudfunctions2_function.function.name
}

output "service_account_email" {
  description = "Email of the function's service account (known at plan time)."
  value       = local.service_account_email
  depends_on  = [google_service_account.function]
}

output "service_account_iam_email" {
  description = "The service account as an IAM member (serviceAccount:...)."
  value       = "serviceAccount:${local.service_account_email}"
  depends_on  = [google_service_account.function]
}

output "uri" {
  description = "HTTPS endpoint of the function (also the OIDC audience for callers)."
  value       = google_cloudfunctions2_function.function.service_config[0].uri
}
