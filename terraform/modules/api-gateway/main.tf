# API Gateway: one API, a config made from the project's OpenAPI file, and the gateway serving
# it. The OpenAPI file is a template: `${project}`, `${region}` and `${<function>_url}` for
# each backend function (e.g. `${chat_url}`) are filled in here. A changed file makes a new
# config (named by its hash) and the gateway moves to it; the old one goes afterwards.

locals {
  openapi = templatefile(var.openapi_file, merge(
    { project = var.project_id, region = var.region },
    { for name, url in var.backends : "${name}_url" => url },
  ))
}

resource "google_api_gateway_api" "api" {
  provider = google-beta
  project  = var.project_id
  api_id   = var.name
  labels   = var.labels
}

resource "google_api_gateway_api_config" "config" {
  provider      = google-beta
  project       = var.project_id
  api           = google_api_gateway_api.api.api_id
  api_config_id = "${var.name}-${substr(sha256(local.openapi), 0, 12)}"
  labels        = var.labels

  openapi_documents {
    document {
      path     = basename(var.openapi_file)
      contents = base64encode(local.openapi)
    }
  }

  gateway_config {
    backend_config {
      # The gateway calls the functions as this account (roles/run.invoker on each of them).
      google_service_account = var.service_account_email
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "google_api_gateway_gateway" "gateway" {
  provider   = google-beta
  project    = var.project_id
  region     = var.region
  gateway_id = var.name
  api_config = google_api_gateway_api_config.config.id
  labels     = var.labels
}
