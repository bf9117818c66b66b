output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "api_endpoint" {
  description = "Base URL of the HTTP API's $default stage."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "webhook_url" {
  description = "The URL to paste into the Sanity webhook settings."
  value       = "${aws_apigatewayv2_api.this.api_endpoint}${var.route_path}"
}

output "execution_arn" {
  description = "Execution ARN of the HTTP API (for invoke permissions)."
  value       = aws_apigatewayv2_api.this.execution_arn
}

output "access_log_group_name" {
  description = "Name of the access log group."
  value       = aws_cloudwatch_log_group.this.name
}
