output "secret_arn" {
  description = "ARN of the secret (passed to every function as CROSSPOST_SECRET_ARN)."
  value       = aws_secretsmanager_secret.this.arn
}

output "secret_name" {
  description = "Name of the secret (for `aws secretsmanager put-secret-value --secret-id`)."
  value       = aws_secretsmanager_secret.this.name
}
