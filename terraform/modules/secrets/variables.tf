variable "name" {
  description = "Name of the Secrets Manager secret that holds crosspost's JSON secret (webhook secret and platform tokens)."
  type        = string
}

variable "description" {
  description = "Description shown in the Secrets Manager console."
  type        = string
  default     = "crosspost: Sanity webhook secret and platform tokens (JSON). Set the value with the AWS CLI, never in Terraform."
}

variable "recovery_window_in_days" {
  description = "Days Secrets Manager keeps the secret after deletion (0 deletes at once, 7 to 30 otherwise)."
  type        = number
  default     = 7

  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30)
    error_message = "recovery_window_in_days must be 0 or between 7 and 30."
  }
}

variable "kms_key_arn" {
  description = "Optional customer managed KMS key for the secret. Null uses the AWS managed key aws/secretsmanager. With a key, grant the functions kms:Decrypt on it."
  type        = string
  default     = null
}
