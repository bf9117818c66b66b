################################################################################
# Account and naming
################################################################################

variable "aws_region" {
  description = "AWS Region to deploy to."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of every resource name (functions are named <prefix>-<crate>)."
  type        = string
  default     = "crosspost"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2 to 31 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "tags" {
  description = "Tags added to every resource (on top of Project = crosspost)."
  type        = map(string)
  default     = {}
}

################################################################################
# Lambda packages
################################################################################

variable "lambda_package_dir" {
  description = "Folder that holds <crate>/bootstrap.zip for every Lambda crate (cargo lambda's output). Null means target/lambda at the repository root."
  type        = string
  default     = null
}

variable "lambda_architecture" {
  description = "Instruction set the packages were built for (just build arch=...): arm64 or x86_64."
  type        = string
  default     = "arm64"
}

variable "lambda_memory_size" {
  description = "Memory of every function, in MB."
  type        = number
  default     = 256
}

variable "target_timeout_seconds" {
  description = "Timeout of the target functions (devto, hashnode, medium, opensearch), in seconds. The state machine's TimeoutSeconds should not exceed it."
  type        = number
  default     = 60
}

variable "log_retention_days" {
  description = "Retention of every log group, in days."
  type        = number
  default     = 30
}

variable "log_level" {
  description = "Application log level of the functions (TRACE, DEBUG, INFO, WARN, ERROR, FATAL)."
  type        = string
  default     = "INFO"
}

################################################################################
# crosspost settings
################################################################################

variable "site_url" {
  description = "The author's own site (CROSSPOST_SITE_URL), for example https://example.dev."
  type        = string
}

variable "sanity_project_id" {
  description = "Sanity project id (SANITY_PROJECT_ID)."
  type        = string
}

variable "sanity_dataset" {
  description = "Sanity dataset (SANITY_DATASET)."
  type        = string
  default     = "production"
}

variable "targets" {
  description = "Targets the initiator enables (CROSSPOST_TARGETS). Every target function is deployed either way, because the state machine refers to all of them."
  type        = list(string)
  default     = ["devto", "hashnode", "medium", "opensearch"]

  validation {
    condition     = alltrue([for t in var.targets : contains(["devto", "hashnode", "medium", "opensearch"], t)])
    error_message = "targets may contain devto, hashnode, medium and opensearch."
  }
}

variable "signature_tolerance_seconds" {
  description = "How old a webhook signature may be (CROSSPOST_SIGNATURE_TOLERANCE_SECONDS). Must cover Sanity's 30-minute retry schedule."
  type        = number
  default     = 3600

  validation {
    condition     = var.signature_tolerance_seconds >= 1800
    error_message = "signature_tolerance_seconds must be at least 1800 (Sanity retries for up to 30 minutes)."
  }
}

variable "hashnode_publication_id" {
  description = "Hashnode publication id (HASHNODE_PUBLICATION_ID); empty leaves the variable unset."
  type        = string
  default     = ""
}

variable "medium_publish_status" {
  description = "Medium publishStatus for new posts (MEDIUM_PUBLISH_STATUS): public, draft or unlisted. Medium's API cannot update or delete, so draft is the safe default."
  type        = string
  default     = "draft"

  validation {
    condition     = contains(["public", "draft", "unlisted"], var.medium_publish_status)
    error_message = "medium_publish_status must be public, draft or unlisted."
  }
}

variable "opensearch_endpoint" {
  description = "OpenSearch endpoint URL (OPENSEARCH_ENDPOINT); empty leaves the variable unset."
  type        = string
  default     = ""
}

variable "opensearch_index" {
  description = "OpenSearch index or alias (OPENSEARCH_INDEX)."
  type        = string
  default     = "posts"
}

variable "opensearch_auth" {
  description = "How the opensearch function signs requests (OPENSEARCH_AUTH): sigv4-es (OpenSearch Service domain), sigv4-aoss (OpenSearch Serverless) or basic (user name and password from the secret)."
  type        = string
  default     = "sigv4-es"

  validation {
    condition     = contains(["sigv4-es", "sigv4-aoss", "basic"], var.opensearch_auth)
    error_message = "opensearch_auth must be sigv4-es, sigv4-aoss or basic."
  }
}

variable "opensearch_domain_arn" {
  description = "ARN of the OpenSearch Service domain (sigv4-es): the opensearch function may send es:ESHttp{Get,Put,Delete,Head} to it."
  type        = string
  default     = null
}

variable "opensearch_collection_arn" {
  description = "ARN of the OpenSearch Serverless collection (sigv4-aoss): the opensearch function gets aoss:APIAccessAll on it. The collection's data access policy must also allow the function's role."
  type        = string
  default     = null
}

################################################################################
# Storage, API, state machine, alarms
################################################################################

variable "snapshot_expiration_days" {
  description = "Days after which article snapshots are deleted from the bucket."
  type        = number
  default     = 30
}

variable "ledger_deletion_protection" {
  description = "Protect the ledger table from deletion."
  type        = bool
  default     = true
}

variable "secret_recovery_window_days" {
  description = "Recovery window of the secret after deletion (0, or 7 to 30 days)."
  type        = number
  default     = 7
}

variable "api_throttling_burst_limit" {
  description = "Burst limit of the webhook API stage."
  type        = number
  default     = 20
}

variable "api_throttling_rate_limit" {
  description = "Rate limit of the webhook API stage (requests per second)."
  type        = number
  default     = 10
}

variable "state_machine_log_level" {
  description = "Step Functions execution log level (ALL, ERROR, FATAL, OFF)."
  type        = string
  default     = "ERROR"
}

variable "state_machine_include_execution_data" {
  description = "Log execution input and output (article bodies). Keep false in production."
  type        = bool
  default     = false
}

variable "create_alarm_topic" {
  description = "Create an SNS topic for the alarms."
  type        = bool
  default     = false
}

variable "alarm_sns_topic_arn" {
  description = "Existing SNS topic for the alarms (when create_alarm_topic is false)."
  type        = string
  default     = null
}

variable "alarm_email" {
  description = "E-mail address subscribed to the created alarm topic."
  type        = string
  default     = null
}
