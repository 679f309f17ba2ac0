provider "google" {
  project = var.project_id
  region  = var.region
  # Needed by the budget (billing budgets API) when the deployer's credentials are user ones.
  billing_project       = var.project_id
  user_project_override = true
}

provider "google-beta" {
  project               = var.project_id
  region                = var.region
  billing_project       = var.project_id
  user_project_override = true
}
