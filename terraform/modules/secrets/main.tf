################################################################################
# Secret
#
# Only the secret resource lives here. Its value (a JSON object, see README.md) is
# written with the AWS CLI, so it never passes through Terraform variables, plans or
# state. There is deliberately no aws_secretsmanager_secret_version resource.
################################################################################

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:The secret holds third-party tokens (Sanity, Dev.to, Hashnode, Medium, OpenSearch) that no rotation Lambda can renew; they are rotated by hand with put-secret-value.
  #checkov:skip=CKV_AWS_149:Encrypted with the AWS managed key aws/secretsmanager by default; a customer managed key is optional through var.kms_key_arn.
  name                    = var.name
  description             = var.description
  recovery_window_in_days = var.recovery_window_in_days
  kms_key_id              = var.kms_key_arn
}
