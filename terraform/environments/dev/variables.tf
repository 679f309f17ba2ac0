variable "billing_account" {
  description = "Billing account id for the budget alert (XXXXXX-XXXXXX-XXXXXX); null or \"\" (Cloud Build's _BILLING_ACCOUNT unset) = no budget."
  type        = string
  default     = null
}

variable "notification_emails" {
  description = "Who gets the alerts and budget notifications."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "project_id" {
  description = "The dev project."
  type        = string
  nullable    = false
}

variable "region" {
  description = "Region of everything regional."
  type        = string
  default     = "us-central1"
  nullable    = false
}

variable "retraining_image" {
  description = "Image of the weekly retraining job (model_serving/Dockerfile.retrain, pushed by Cloud Build); null = no job."
  type        = string
  default     = null
}

variable "serving_image" {
  description = "Serving image of this build (model_serving/Dockerfile, pushed by Cloud Build): the image of the versions the retraining job registers; null = the job borrows one (model_serving/vertex.py)."
  type        = string
  default     = null
}
