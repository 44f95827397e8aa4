# The trail: DynamoDB data events of exactly the watched tables (layer 1 of design.md), plus write
# management events when the pipeline or the tables' control plane is watched. Everything goes to S3 and
# to the log group the subscription filter reads.
#
# Single-Region on purpose: table ARNs carry the Region, so data events of these tables only occur here,
# and the pipeline's resources live here too. A multi-Region trail would add every other Region's write
# management events (billed as a second copy) for nothing the Lambda alerts on. For the same reason global
# service events (IAM, STS, CloudFront) are off: the Lambda does not alert on them.

resource "aws_cloudtrail" "this" {
  #checkov:skip=CKV_AWS_67:Deliberately single-Region: the watched tables and the pipeline are regional (see comment above).
  #checkov:skip=CKV_AWS_252:Nobody consumes per-file SNS notifications; alerts come from the CloudWatch Logs subscription.
  name                          = local.trail_name
  s3_bucket_name                = aws_s3_bucket.this.id
  kms_key_id                    = local.kms_key_arn
  enable_log_file_validation    = true
  is_multi_region_trail         = false
  include_global_service_events = false
  enable_logging                = true
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.trail.arn}:*" # the provider wants the ":*"
  cloud_watch_logs_role_arn     = aws_iam_role.trail.arn
  tags                          = local.tags

  dynamic "advanced_event_selector" {
    for_each = module.selectors.advanced_event_selectors
    content {
      name = advanced_event_selector.value.name
      dynamic "field_selector" {
        for_each = advanced_event_selector.value.field_selectors
        content {
          field           = field_selector.value.field
          equals          = field_selector.value.equals
          not_equals      = field_selector.value.not_equals
          starts_with     = field_selector.value.starts_with
          not_starts_with = field_selector.value.not_starts_with
        }
      }
    }
  }

  lifecycle {
    precondition {
      condition     = module.selectors.fits
      error_message = module.selectors.limit_message
    }
  }

  # CloudTrail checks the bucket policy and the role's permissions when the trail is created.
  depends_on = [
    aws_s3_bucket_policy.this,
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_iam_role_policy.trail,
  ]
}

# -------------------------------------------------------------------- log group read by the subscription

resource "aws_cloudwatch_log_group" "trail" {
  #checkov:skip=CKV_AWS_338:The log group only feeds the Lambda; the full trail stays in S3 (trail_log_expiration_days, default 365). Retention is log_retention_in_days.
  name              = local.trail_log_group_name
  retention_in_days = var.log_retention_in_days
  kms_key_id        = local.kms_key_arn
  tags              = local.tags
}

data "aws_iam_policy_document" "trail_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "trail" {
  name                 = local.trail_role_name
  description          = "CloudTrail trail ${local.trail_name} writes to log group ${local.trail_log_group_name}"
  assume_role_policy   = data.aws_iam_policy_document.trail_assume.json
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  tags                 = local.tags
}

# CloudTrail names its streams ACCOUNT_CloudTrail_TRAILREGION[_N], with the trail's home Region for a
# multi-Region trail too (CloudTrail User Guide, "CloudWatch log group and log stream naming for CloudTrail":
# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudwatch-log-group-log-stream-naming-for-cloudtrail.html),
# and AWS's own policy for the role grants exactly those ("Role policy document for CloudTrail to use
# CloudWatch Logs for monitoring": https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html).
data "aws_iam_policy_document" "trail" {
  statement {
    sid       = "WriteOwnLogGroupOnly"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.trail.arn}:log-stream:${local.account_id}_CloudTrail_${local.region}*"]
  }

  # CloudWatch Logs may use the log group's key on behalf of the role that writes to it (kms:ViaService;
  # Encrypt log data in CloudWatch Logs: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
  statement {
    sid       = "EncryptOwnLogGroup"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [local.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_service.logs]
    }
    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [local.trail_log_group_arn]
    }
  }
}

resource "aws_iam_role_policy" "trail" {
  name   = "write-${var.name}-trail-log-group"
  role   = aws_iam_role.trail.id
  policy = data.aws_iam_policy_document.trail.json
}
