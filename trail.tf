# The trail: DynamoDB data events of exactly the watched tables (layer 1 of design.md), plus write
# management events when the pipeline or the tables' control plane is watched. Everything goes to S3 and
# to the log group the subscription filter reads.
#
# With create_trail = false none of this file's resources exist: the subscription filter reads
# existing_log_group_name (checked at the bottom of this file), and the trail's owner adds the selectors
# of the required_advanced_event_selectors output to their trail (a multi-Region trail when
# multi_region_reason says so).
#
# Single-Region while every watched table is in the provider's Region: table ARNs carry the Region, so data
# events of these tables only occur here, and the pipeline's resources live here too; a multi-Region trail
# would add every other Region's write management events (billed as a second copy) for nothing the Lambda
# alerts on. A watched table in another Region (table_arns) makes it multi-Region (modules/selectors says
# why, output multi_region_reason): a single-Region trail logs data events only of its own Region's
# resources. CloudTrail requires a multi-Region trail to include global service events (IAM, STS), so
# those come with it; the Lambda then alerts on IAM changes to the module's own roles (tamper).

resource "aws_cloudtrail" "this" {
  count = var.create_trail ? 1 : 0

  #checkov:skip=CKV_AWS_67:Multi-Region exactly when a watched table is in another Region (see comment above); otherwise the watched tables and the pipeline are regional.
  #checkov:skip=CKV_AWS_252:Nobody consumes per-file SNS notifications; alerts come from the CloudWatch Logs subscription.
  name                          = local.trail_name
  s3_bucket_name                = aws_s3_bucket.this[0].id
  kms_key_id                    = local.kms_key_arn
  enable_log_file_validation    = true
  is_multi_region_trail         = module.selectors.multi_region
  include_global_service_events = module.selectors.multi_region
  enable_logging                = true
  is_organization_trail         = var.organization_trail
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.trail[0].arn}:*" # the provider wants the ":*"
  cloud_watch_logs_role_arn     = aws_iam_role.trail[0].arn
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
  count = var.create_trail ? 1 : 0

  #checkov:skip=CKV_AWS_338:The log group only feeds the Lambda; the full trail stays in S3 (trail_log_expiration_days, default 365). Retention is log_retention_in_days.
  name              = local.trail_log_group_name
  retention_in_days = var.log_retention_in_days
  kms_key_id        = local.kms_key_arn
  tags              = local.tags
}

data "aws_iam_policy_document" "trail_assume" {
  count = var.create_trail ? 1 : 0

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
  count = var.create_trail ? 1 : 0

  name                 = local.trail_role_name
  description          = "CloudTrail trail ${local.trail_name} writes to log group ${local.trail_log_group_name}"
  assume_role_policy   = data.aws_iam_policy_document.trail_assume[0].json
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
  count = var.create_trail ? 1 : 0

  statement {
    sid     = "WriteOwnLogGroupOnly"
    effect  = "Allow"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = concat(
      ["${aws_cloudwatch_log_group.trail[0].arn}:log-stream:${local.account_id}_CloudTrail_${local.region}*"],
      # An organization trail delivers the member accounts' events to streams whose names start with the
      # organization's ID (ORGID_ACCOUNT_CloudTrail_REGION). Unverified: the "Role policy document" page
      # above says an organization trail's role needs more than the default policy, but the copy checked
      # here was cut before its example; ORGID_* is the narrowest grant that covers that naming.
      local.organization_id == null ? [] : ["${aws_cloudwatch_log_group.trail[0].arn}:log-stream:${local.organization_id}_*"],
    )
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
  count = var.create_trail ? 1 : 0

  name   = "write-${var.name}-trail-log-group"
  role   = aws_iam_role.trail[0].id
  policy = data.aws_iam_policy_document.trail[0].json
}

# --------------------------------------------------------------------------------- organization trail

# Read only with organization_trail = true (needs organizations:DescribeOrganization, and in the management
# account the provider also lists the accounts, roots and enabled service principals). Checked here, at
# plan time, rather than by CloudTrail at apply: an organization trail belongs to the management account
# even when a delegated administrator creates it (CloudTrail User Guide, "Organization delegated
# administrator"), and so does the log group it delivers to, which this module creates and subscribes its
# function to; CloudTrail needs all features and trusted access ("Prepare for creating a trail for your
# organization").
data "aws_organizations_organization" "this" {
  count = var.organization_trail ? 1 : 0

  lifecycle {
    precondition {
      condition     = var.create_trail
      error_message = "organization_trail = true needs create_trail = true: the module can only make its own trail an organization trail. To use an organization trail someone else runs, set organization_trail = false and subscribe to its log group with create_trail = false and existing_log_group_name, applied in the management account that owns the trail's log group."
    }
    postcondition {
      condition     = self.master_account_id == local.account_id
      error_message = "organization_trail = true: this provider is in account ${local.account_id}, but the organization ${self.id} is managed by account ${self.master_account_id}. An organization trail and its CloudWatch Logs log group belong to the management account (even when a delegated administrator creates the trail), and a subscription invokes only a function in the log group's account: apply the module with a provider in ${self.master_account_id}."
    }
    postcondition {
      condition     = self.feature_set == "ALL" && contains(self.aws_service_access_principals, "cloudtrail.amazonaws.com")
      error_message = "organization_trail = true: the organization ${self.id} must have all features enabled (it has ${self.feature_set}) and trusted access for CloudTrail (enabled service principals: ${jsonencode(self.aws_service_access_principals)}). Enable it with `aws organizations enable-aws-service-access --service-principal cloudtrail.amazonaws.com` in the management account."
    }
  }
}

# ------------------------------------------------------------------ an existing trail's log group instead

# Read at plan time, so a missing group fails the plan with a message instead of the apply. A list by
# name prefix (rather than the aws_cloudwatch_log_group data source, which fails with a bare "not found")
# reads fine when nothing matches, and the postcondition says what is wrong and where it looked.
data "aws_cloudwatch_log_groups" "existing" {
  count = var.create_trail ? 0 : 1

  log_group_name_prefix = var.existing_log_group_name

  lifecycle {
    precondition {
      condition     = var.existing_log_group_name != null
      error_message = "create_trail = false needs existing_log_group_name: the CloudWatch Logs log group your trail writes to, in this provider's account (${local.account_id}) and Region (${local.region})."
    }
    precondition {
      condition     = var.existing_trail_arn == null || try(split(":", var.existing_trail_arn)[4] == local.account_id && split(":", var.existing_trail_arn)[3] == local.region, false)
      error_message = "existing_trail_arn names a trail in account ${try(split(":", var.existing_trail_arn)[4], "?")}, Region ${try(split(":", var.existing_trail_arn)[3], "?")}, but this provider is in account ${local.account_id}, Region ${local.region}. A trail's log group is in the trail's own account and home Region (an organization trail's in the management account), and a subscription can invoke only a function in its own account: apply the module there."
    }
    postcondition {
      condition     = contains(self.log_group_names, var.existing_log_group_name)
      error_message = "The log group \"${var.existing_log_group_name}\" (existing_log_group_name) does not exist in account ${local.account_id}, Region ${local.region}. Give the name of the log group your trail already writes to (aws cloudtrail describe-trails shows it as CloudWatchLogsLogGroupArn), and apply with a provider in that log group's account and Region."
    }
  }
}

# Resources of the module's own trail got a count when create_trail arrived; these keep the addresses of
# deployments made before that, so an upgrade plans no replacement.
moved {
  from = aws_cloudtrail.this
  to   = aws_cloudtrail.this[0]
}

moved {
  from = aws_cloudwatch_log_group.trail
  to   = aws_cloudwatch_log_group.trail[0]
}

moved {
  from = aws_iam_role.trail
  to   = aws_iam_role.trail[0]
}

moved {
  from = aws_iam_role_policy.trail
  to   = aws_iam_role_policy.trail[0]
}
