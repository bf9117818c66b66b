################################################################################
# HTTP API: POST /webhook -> initiator (Lambda proxy, payload format 2.0)
################################################################################

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  protocol_type = "HTTP"
  description   = "crosspost: Sanity webhook endpoint"
}

resource "aws_apigatewayv2_integration" "this" {
  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = var.function_invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = var.integration_timeout_milliseconds
}

resource "aws_apigatewayv2_route" "this" {
  #checkov:skip=CKV_AWS_309:Sanity webhooks cannot send IAM or JWT credentials; the initiator verifies the HMAC signature over the raw body, in constant time, before anything else.
  api_id             = aws_apigatewayv2_api.this.id
  route_key          = "POST ${var.route_path}"
  authorization_type = "NONE"
  target             = "integrations/${aws_apigatewayv2_integration.this.id}"
}

################################################################################
# Stage: throttling and access logs
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest with its own key and access logs hold no bodies; a customer managed key is optional through var.log_kms_key_arn.
  #checkov:skip=CKV_AWS_338:Access logs of one webhook route; retention is configurable (default 30 days).
  name              = "/aws/apigateway/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.this.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      requestTime        = "$context.requestTime"
      sourceIp           = "$context.identity.sourceIp"
      userAgent          = "$context.identity.userAgent"
      routeKey           = "$context.routeKey"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      integrationStatus  = "$context.integrationStatus"
      integrationLatency = "$context.integrationLatency"
      integrationError   = "$context.integrationErrorMessage"
    })
  }
}

################################################################################
# Permission: only this API, this method and this route may invoke the initiator
################################################################################

resource "aws_lambda_permission" "this" {
  statement_id  = "AllowApiGatewayWebhook"
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*/POST${var.route_path}"
}
