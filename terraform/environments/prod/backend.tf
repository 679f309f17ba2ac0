# State lives in a GCS bucket created at bootstrap; pass it at init:
#   terraform init -backend-config="bucket=<state bucket>"
terraform {
  backend "gcs" {
    prefix = "ion-mentoring/prod"
  }
}
