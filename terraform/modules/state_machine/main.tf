################################################################################
# Execution log group
#
# The /aws/vendedlogs/ prefix keeps CloudWatch Logs' resource policy small when Step
# Functions sets up log delivery.
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest with its own key and execution data is excluded by default; a customer managed key is optional through var.log_kms_key_arn.
  #checkov:skip=CKV_AWS_338:Execution logs of a publishing pipeline; retention is configurable (default 30 days).
  name              = "/aws/vendedlogs/states/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
}

################################################################################
# Role
################################################################################

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "StatesAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name}-states"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "this" {
  # Exactly the functions the definition invokes (unqualified ARNs, as in the definition).
  statement {
    sid       = "InvokeTargets"
    actions   = ["lambda:InvokeFunction"]
    resources = var.invoke_function_arns
  }

  # Log delivery for Step Functions: these actions support no resource-level permissions,
  # and the Step Functions developer guide ("Logging using CloudWatch Logs", IAM policies)
  # documents exactly this list on "*".
  statement {
    #checkov:skip=CKV_AWS_111:Log-delivery actions support no resource constraint; AWS documents this list on "*".
    #checkov:skip=CKV_AWS_356:Log-delivery actions support no resource constraint; AWS documents this list on "*".
    sid = "LogDelivery"
    actions = [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }

  # X-Ray: no resource-level permissions; AWS documents "*".
  statement {
    sid = "XRay"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name}-states"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

################################################################################
# State machine
################################################################################

resource "aws_sfn_state_machine" "this" {
  #checkov:skip=CKV_AWS_285:Execution data (article bodies) stays out of production logs by design; set var.include_execution_data = true outside production.
  name       = var.name
  type       = "STANDARD"
  role_arn   = aws_iam_role.this.arn
  definition = templatefile(var.definition_file, var.definition_vars)

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.this.arn}:*"
    include_execution_data = var.include_execution_data
    level                  = var.log_level
  }

  tracing_configuration {
    enabled = true
  }

  depends_on = [aws_iam_role_policy.this]
}
