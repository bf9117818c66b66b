variable "name" {
  description = "Name of the state machine."
  type        = string
}

variable "definition_file" {
  description = "Path to the Amazon States Language file, rendered with templatefile(); its only placeholders are Lambda ARNs (names ending in _arn)."
  type        = string
}

variable "definition_vars" {
  description = "Values for every placeholder of the definition file (placeholder name -> value)."
  type        = map(string)
}

variable "invoke_function_arns" {
  description = "ARNs of exactly the Lambda functions the definition invokes; the role may invoke these and nothing else."
  type        = list(string)

  validation {
    condition     = length(var.invoke_function_arns) > 0
    error_message = "invoke_function_arns must list the functions the definition invokes."
  }
}

variable "log_level" {
  description = "Execution logging level: ALL, ERROR, FATAL or OFF."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.log_level)
    error_message = "log_level must be ALL, ERROR, FATAL or OFF."
  }
}

variable "include_execution_data" {
  description = "Include execution input and output in the logs. Keep false in production (article bodies)."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Retention of the execution log group, in days."
  type        = number
  default     = 30
}

variable "log_kms_key_arn" {
  description = "Optional KMS key to encrypt the execution log group."
  type        = string
  default     = null
}
