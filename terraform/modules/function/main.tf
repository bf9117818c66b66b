################################################################################
# Log group
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest with its own key; the functions never log secrets or bodies. A customer managed key is optional through var.log_kms_key_arn.
  #checkov:skip=CKV_AWS_338:Operational logs of a publishing pipeline; retention is configurable (default 30 days) and a year of retention buys nothing here.
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
}

################################################################################
# Role: one per function, only what this function uses
################################################################################

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "LambdaAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.function_name}-lambda"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  # X-Ray's write actions support no resource-level permissions: AWS documents "*".
  statement {
    sid       = "XRayWrite"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = var.policy_statements
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.function_name}-lambda"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

################################################################################
# Function
################################################################################

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously (API Gateway, Step Functions); a dead-letter queue applies to asynchronous invocations only, and Step Functions records failures.
  #checkov:skip=CKV_AWS_117:The functions call public platform APIs (Dev.to, Hashnode, Medium, Sanity) and AWS endpoints; a VPC would only add a NAT gateway.
  #checkov:skip=CKV_AWS_173:The environment holds no secrets (only names, ARNs and URLs); Lambda encrypts it at rest with its service key.
  #checkov:skip=CKV_AWS_115:Concurrency is configurable (var.reserved_concurrent_executions); reserving it by default fails on new accounts, and Sanity sends one request at a time per webhook.
  #checkov:skip=CKV_AWS_272:Packages are built and deployed by CI from the tagged commit; code signing would need a Signer profile that the project does not manage.
  function_name                  = var.function_name
  description                    = var.description
  role                           = aws_iam_role.this.arn
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = [var.architecture]
  filename                       = var.package_path
  source_code_hash               = filebase64sha256(var.package_path)
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions

  environment {
    variables = var.environment
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.this.name
    application_log_level = var.application_log_level
    system_log_level      = "WARN"
  }

  depends_on = [aws_iam_role_policy.this]
}
