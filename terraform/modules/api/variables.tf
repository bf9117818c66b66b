variable "name" {
  description = "Name of the HTTP API."
  type        = string
}

variable "function_name" {
  description = "Name of the initiator Lambda function (for the invoke permission)."
  type        = string
}

variable "function_invoke_arn" {
  description = "Invoke ARN of the initiator Lambda function."
  type        = string
}

variable "route_path" {
  description = "Path of the webhook route."
  type        = string
  default     = "/webhook"
}

variable "throttling_burst_limit" {
  description = "Stage-wide burst limit (requests). Sanity sends at most one request at a time per webhook."
  type        = number
  default     = 20
}

variable "throttling_rate_limit" {
  description = "Stage-wide steady-state rate limit (requests per second)."
  type        = number
  default     = 10
}

variable "integration_timeout_milliseconds" {
  description = "Integration timeout (50 to 30000 ms); Sanity itself gives up after 30 s."
  type        = number
  default     = 29000
}

variable "log_retention_days" {
  description = "Retention of the access log group, in days."
  type        = number
  default     = 30
}

variable "log_kms_key_arn" {
  description = "Optional KMS key to encrypt the access log group."
  type        = string
  default     = null
}
