locals {
  name = (
    var.prefix == null
    ? replace(var.name, "_", "-")
    : "${var.prefix}-${replace(var.name, "_", "-")}"
  )
  # Cloud Run requires at least one vCPU to serve more than one request per instance.
  cpu = (
    var.function_config.cpu != null
    ? var.function_config.cpu
    : (var.function_config.concurrency > 1 ? "1" : null)
  )
}

resource "google_cloudfunctions2_function" "function" {
  project     = var.project_id
  location    = var.region
  name        = local.name
  description = var.description
  labels      = var.labels

  build_config {
    runtime         = var.function_config.runtime
    entry_point     = var.function_config.entry_point
    service_account = var.function_config.build_service_account
    # null: GCF's own gcf-artifacts repository, which has no cleanup policy (an image per build)
    docker_repository = var.function_config.docker_repository
    source {
      storage_source {
        bucket = google_storage_bucket_object.bundle.bucket
        object = google_storage_bucket_object.bundle.name
      }
    }
  }

  service_config {
    all_traffic_on_latest_revision = true
    available_cpu                  = local.cpu
    available_memory               = "${var.function_config.memory_mb}M"
    # The platform adds LOG_EXECUTION_ID=true on its own; declaring it avoids a permanent diff.
    # functions-framework's gunicorn serves THREADS threads (default 4 per CPU): as many as the
    # requests Cloud Run sends one instance, or the extra ones queue inside it.
    environment_variables = merge(
      { LOG_EXECUTION_ID = "true", THREADS = tostring(var.function_config.concurrency) },
      var.environment_variables,
    )
    ingress_settings                 = var.function_config.ingress
    max_instance_count               = var.function_config.max_instances
    max_instance_request_concurrency = var.function_config.concurrency
    min_instance_count               = var.function_config.min_instances
    service_account_email            = google_service_account.function.email
    timeout_seconds                  = var.function_config.timeout_seconds

    dynamic "secret_environment_variables" {
      for_each = var.secrets
      content {
        key        = secret_environment_variables.key
        project_id = coalesce(secret_environment_variables.value.project_id, var.project_id)
        secret     = secret_environment_variables.value.secret
        version    = secret_environment_variables.value.version
      }
    }
  }

  # Secret access must exist before the first revision starts, or it fails to read its secrets.
  depends_on = [google_secret_manager_secret_iam_member.secret_accessor]
}
