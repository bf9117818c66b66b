variable "name_prefix" {
  description = "Prefix for alarm and topic names."
  type        = string
}

variable "state_machine_arn" {
  description = "ARN of the state machine whose failed and timed-out executions raise an alarm."
  type        = string
}

variable "function_names" {
  description = "Lambda functions whose errors raise an alarm (key -> function name)."
  type        = map(string)
}

variable "create_topic" {
  description = "Create an SNS topic for the alarms. When false and sns_topic_arn is null, alarms only change state in CloudWatch."
  type        = bool
  default     = false
}

variable "sns_topic_arn" {
  description = "Existing SNS topic for the alarms (used when create_topic is false)."
  type        = string
  default     = null
}

variable "email" {
  description = "Optional e-mail address subscribed to the created topic (the address must confirm the subscription)."
  type        = string
  default     = null
}

variable "period_seconds" {
  description = "Evaluation period of the alarms, in seconds."
  type        = number
  default     = 300
}
