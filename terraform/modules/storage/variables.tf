variable "ledger_table_name" {
  description = "Name of the DynamoDB ledger table (document id + target -> remote post)."
  type        = string
}

variable "snapshot_bucket_name" {
  description = "Name of the S3 bucket that holds article snapshots (the claim check for large articles). Bucket names are global: include the account id or another unique part."
  type        = string
}

variable "snapshot_expiration_days" {
  description = "Days after which a stored article snapshot is deleted. Executions read their snapshot within minutes; keep this above the longest execution (retries included)."
  type        = number
  default     = 30

  validation {
    condition     = var.snapshot_expiration_days >= 1
    error_message = "snapshot_expiration_days must be at least 1."
  }
}

variable "kms_key_arn" {
  description = "Optional customer managed KMS key for the table and the bucket. Null uses AWS owned/managed keys (SSE-S3 and DynamoDB's default encryption). With a key, grant the functions kms:Decrypt/GenerateDataKey on it."
  type        = string
  default     = null
}

variable "deletion_protection" {
  description = "Protect the ledger table from deletion. The ledger is what prevents duplicate posts: losing it means every platform gets a second copy on the next publish."
  type        = bool
  default     = true
}
