output "webhook_url" {
  description = "URL for the Sanity webhook (POST)."
  value       = module.api.webhook_url
}

output "state_machine_arn" {
  description = "ARN of the crosspost state machine."
  value       = module.state_machine.arn
}

output "secret_arn" {
  description = "ARN of the secret; write its JSON value with `aws secretsmanager put-secret-value`."
  value       = module.secrets.secret_arn
}

output "secret_name" {
  description = "Name of the secret."
  value       = module.secrets.secret_name
}

output "ledger_table_name" {
  description = "Name of the DynamoDB ledger table."
  value       = module.storage.ledger_table_name
}

output "snapshot_bucket_name" {
  description = "Name of the S3 snapshot bucket."
  value       = module.storage.snapshot_bucket_name
}

output "function_names" {
  description = "Lambda function names by crate."
  value       = { for k, f in module.function : k => f.function_name }
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify, or null."
  value       = module.alarms.topic_arn
}
