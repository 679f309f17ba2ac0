variable "backends" {
  description = "Backend function name => HTTPS URL, available to the OpenAPI template as $${<name>_url}."
  type        = map(string)
  nullable    = false
}

variable "labels" {
  description = "Labels of the API, its configs and the gateway."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "name" {
  description = "Id of the API and of the gateway."
  type        = string
  nullable    = false
}

variable "openapi_file" {
  description = "Path of the OpenAPI document (2.0 or 3.x) that routes the public paths to the backends."
  type        = string
  nullable    = false
}

variable "project_id" {
  description = "Project of the gateway."
  type        = string
  nullable    = false
}

variable "region" {
  description = "Region of the gateway."
  type        = string
  nullable    = false
}

variable "service_account_email" {
  description = "The identity the gateway calls the backends with (give it roles/run.invoker on each)."
  type        = string
  nullable    = false
}
