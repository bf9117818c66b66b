output "ledger_table_name" {
  description = "Name of the DynamoDB ledger table."
  value       = aws_dynamodb_table.this.name
}

output "ledger_table_arn" {
  description = "ARN of the DynamoDB ledger table."
  value       = aws_dynamodb_table.this.arn
}

output "snapshot_bucket_name" {
  description = "Name of the S3 snapshot bucket."
  value       = aws_s3_bucket.this.id
}

output "snapshot_bucket_arn" {
  description = "ARN of the S3 snapshot bucket (object ARNs are this value followed by /*)."
  value       = aws_s3_bucket.this.arn
}
