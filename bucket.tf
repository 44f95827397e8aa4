# The S3 bucket every trail must write to. Hardened: no public access, ACLs off (bucket owner owns every
# object), TLS only, only this trail may write (aws:SourceArn), SSE-KMS with the module key, versioning,
# and log files expire after var.trail_log_expiration_days. Not created with create_trail = false.

resource "aws_s3_bucket" "this" {
  count = var.create_trail ? 1 : 0

  #checkov:skip=CKV_AWS_18:Access logging of the log bucket needs a second bucket; the account's own access-log bucket is the place for it.
  #checkov:skip=CKV_AWS_144:Cross-region replication of audit copies is an account-level decision, not this module's.
  #checkov:skip=CKV2_AWS_62:Nothing consumes S3 event notifications here; alerts come from the CloudWatch Logs copy.
  bucket        = local.bucket_name
  force_destroy = var.force_destroy
  tags          = local.tags

  lifecycle {
    precondition {
      condition     = length(local.bucket_name) <= 63
      error_message = "The default trail bucket name \"${local.bucket_name}\" is longer than 63 characters: use a shorter name or set trail_bucket_name."
    }
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  count = var.create_trail ? 1 : 0

  bucket                  = aws_s3_bucket.this[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  count = var.create_trail ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "this" {
  count = var.create_trail ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  count = var.create_trail ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = local.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  count = var.create_trail ? 1 : 0

  bucket = aws_s3_bucket.this[0].id

  rule {
    id     = "expire-trail-logs"
    status = "Enabled"
    # Every object. The provider sends this and an empty `filter {}` alike (<Filter><Prefix/></Filter>),
    # but `filter {}` planned a change after every apply in some 5.x releases and drew an "Invalid
    # Attribute Combination" warning in others; the explicit empty prefix has neither problem. The e2e
    # suite checks that the plan after apply is empty and warns of nothing (5.100.0, against moto).
    filter {
      prefix = ""
    }
    expiration {
      days = var.trail_log_expiration_days
    }
    noncurrent_version_expiration {
      noncurrent_days = var.trail_log_expiration_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "bucket" {
  count = var.create_trail ? 1 : 0

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"] # a Deny: every S3 action without TLS is refused
    resources = [aws_s3_bucket.this[0].arn, "${aws_s3_bucket.this[0].arn}/*"]
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

  statement {
    sid       = "CloudTrailAclCheck"
    effect    = "Allow"
    actions   = ["s3:GetBucketAcl"]
    resources = [aws_s3_bucket.this[0].arn]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  statement {
    sid       = "CloudTrailWrite"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this[0].arn}/AWSLogs/${local.account_id}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }
  }

  # An organization trail writes the member accounts' log files under AWSLogs/ORGID/ (CloudTrail User Guide,
  # "Creating a trail for an organization with the AWS CLI", bucket policy); aws:SourceArn is still this
  # trail, which the management account owns.
  dynamic "statement" {
    for_each = local.organization_id == null ? [] : [local.organization_id]
    content {
      sid       = "CloudTrailWriteOrganization"
      effect    = "Allow"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.this[0].arn}/AWSLogs/${statement.value}/*"]
      principals {
        type        = "Service"
        identifiers = ["cloudtrail.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceArn"
        values   = [local.trail_arn]
      }
      condition {
        test     = "StringEquals"
        variable = "s3:x-amz-acl"
        values   = ["bucket-owner-full-control"]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  count = var.create_trail ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  policy = data.aws_iam_policy_document.bucket[0].json

  # The public access block must exist first, or a policy could briefly be evaluated without it.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

# The bucket's resources got a count when create_trail arrived; these keep the addresses of deployments
# made before that, so an upgrade plans no replacement.
moved {
  from = aws_s3_bucket.this
  to   = aws_s3_bucket.this[0]
}

moved {
  from = aws_s3_bucket_public_access_block.this
  to   = aws_s3_bucket_public_access_block.this[0]
}

moved {
  from = aws_s3_bucket_ownership_controls.this
  to   = aws_s3_bucket_ownership_controls.this[0]
}

moved {
  from = aws_s3_bucket_versioning.this
  to   = aws_s3_bucket_versioning.this[0]
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.this
  to   = aws_s3_bucket_server_side_encryption_configuration.this[0]
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.this
  to   = aws_s3_bucket_lifecycle_configuration.this[0]
}

moved {
  from = aws_s3_bucket_policy.this
  to   = aws_s3_bucket_policy.this[0]
}
