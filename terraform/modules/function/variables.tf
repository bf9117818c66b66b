variable "function_name" {
  description = "Name of the Lambda function (also names its role and log group)."
  type        = string
}

variable "description" {
  description = "Description of the Lambda function."
  type        = string
  default     = ""
}

variable "package_path" {
  description = "Path to the prebuilt deployment package (cargo lambda build --output-format zip writes target/lambda/<crate>/bootstrap.zip). Terraform never builds it."
  type        = string
}

variable "architecture" {
  description = "Instruction set of the binary in the package: arm64 or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "memory_size" {
  description = "Memory in MB (CPU share grows with it)."
  type        = number
  default     = 256
}

variable "timeout" {
  description = "Timeout in seconds."
  type        = number
  default     = 30
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency; -1 leaves the function in the unreserved pool (new accounts cannot reserve below their minimum of 10 unreserved)."
  type        = number
  default     = -1
}

variable "environment" {
  description = "Environment variables (never secret values: secrets arrive as the ARN of a Secrets Manager secret)."
  type        = map(string)
  default     = {}
}

variable "policy_statements" {
  description = "Allow statements for the function's own role: exactly what this function uses. Log and X-Ray writes are added by the module."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
  }))
  default = []
}

variable "log_retention_days" {
  description = "Retention of the function's log group, in days."
  type        = number
  default     = 30
}

variable "log_kms_key_arn" {
  description = "Optional KMS key to encrypt the log group."
  type        = string
  default     = null
}

variable "application_log_level" {
  description = "Lambda application log level (TRACE, DEBUG, INFO, WARN, ERROR, FATAL); the Rust runtime's tracing subscriber honours it."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.application_log_level)
    error_message = "application_log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }
}
