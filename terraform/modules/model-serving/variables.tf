variable "access_log_bucket" {
  description = "Bucket receiving the artifact bucket's access logs."
  type        = string
  nullable    = false
}

variable "endpoint_id" {
  description = "Numeric id of the Vertex AI endpoint (at most 10 digits, no leading zero)."
  type        = string
  default     = "1001"
  nullable    = false
  validation {
    condition     = can(regex("^[1-9][0-9]{0,9}$", var.endpoint_id))
    error_message = "endpoint_id must be numeric, without leading zeros, at most 10 digits."
  }
}

variable "keep_images" {
  description = "Retraining images kept regardless of age (older ones go after 30 days); serving images are never deleted."
  type        = number
  default     = 10
  nullable    = false
}

variable "labels" {
  description = "Labels of every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "prefix" {
  description = "Prefix of resource names."
  type        = string
  nullable    = false
}

variable "project_id" {
  description = "Project of the registry, bucket and endpoint."
  type        = string
  nullable    = false
}

variable "region" {
  description = "Region of the registry, bucket and endpoint."
  type        = string
  nullable    = false
}
