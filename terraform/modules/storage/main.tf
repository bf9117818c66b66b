################################################################################
# Ledger (DynamoDB)
#
# One item per (document, target): partition key `documentId`, sort key `target`.
# The attribute names are a contract with crates/core (src/aws.rs).
################################################################################

resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV_AWS_119:Encrypted at rest with DynamoDB's default key; a customer managed key is optional through var.kms_key_arn.
  #checkov:skip=CKV2_AWS_16:On-demand (PAY_PER_REQUEST) capacity scales by itself; auto scaling applies to provisioned tables only.
  name                        = var.ledger_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "documentId"
  range_key                   = "target"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "documentId"
    type = "S"
  }

  attribute {
    name = "target"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = var.kms_key_arn != null
    kms_key_arn = var.kms_key_arn
  }
}

################################################################################
# Snapshot bucket (S3)
################################################################################

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Server access logs would need a second bucket; the objects are short-lived copies of public blog posts, and data events can be enabled in CloudTrail when needed.
  #checkov:skip=CKV_AWS_144:Snapshots are transient (lifecycle expiry) and re-created from Sanity on the next delivery; cross-region replication adds cost without protecting anything durable.
  #checkov:skip=CKV_AWS_145:SSE-S3 by default because snapshots are copies of public blog posts; set var.kms_key_arn for SSE-KMS.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to new snapshots; the initiator passes their keys in the execution input.
  bucket = var.snapshot_bucket_name
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-snapshots"
    status = "Enabled"

    filter {}

    expiration {
      days = var.snapshot_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "tls_only" {
  statement {
    sid    = "DenyInsecureTransport"
    effect = "Deny"
    # A Deny, so the wildcard takes rights away; it grants nothing.
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this.arn,
      "${aws_s3_bucket.this.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.tls_only.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}
