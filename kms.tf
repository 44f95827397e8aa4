# One customer-managed key for everything the pipeline stores: trail log files (S3), both log groups, the
# on-failure queue, the SSM parameters (configuration document and secrets) and the delivery ledger. Not created when
# var.kms_key_arn is given; docs/terraform.md lists what that key's policy must grant instead.
#
# Each service gets exactly the calls it makes, bound to our resources by encryption context (and source ARN
# where the service sends one). Account principals keep key administration (so the key can never become
# unmanageable) and use of the key only through SSM, SQS, S3, CloudWatch Logs and DynamoDB, for the
# pipeline's own parameters, queue, bucket, log groups, ledger and canary tables (Terraform writing the
# parameters, people reading the queue or the log files, the function using its ledger, the canary writing
# its table, each still subject to their own IAM permissions). Every kms:ViaService value ends in the
# partition's DNS suffix (locals.tf), so the policy holds in aws-cn (amazonaws.com.cn) too. docs/terraform.md
# says which statements were checked only against AWS documentation.

data "aws_iam_policy_document" "kms" {
  count = local.create_kms_key ? 1 : 0

  statement {
    sid       = "KeyAdministrationByAccount"
    effect    = "Allow"
    resources = ["*"] # in a key policy "*" means this key
    actions = [
      "kms:CancelKeyDeletion",
      "kms:CreateAlias",
      "kms:DeleteAlias",
      "kms:DescribeKey",
      "kms:DisableKey",
      "kms:DisableKeyRotation",
      "kms:EnableKey",
      "kms:EnableKeyRotation",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListAliases",
      "kms:ListGrants",
      "kms:ListKeyPolicies",
      "kms:ListKeyRotations",
      "kms:ListResourceTags",
      "kms:PutKeyPolicy",
      "kms:RevokeGrant",
      "kms:RotateKeyOnDemand",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:UpdateAlias",
      "kms:UpdateKeyDescription",
    ]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # Account principals (each still needing IAM permission of its own) may use the key only through the
  # services that store the pipeline's data, and only for the pipeline's own resources, named in the
  # encryption context each service sends: other buckets, queues, parameters, log groups or tables of the
  # account cannot be encrypted with this key through those services. Encryption contexts: SSM
  # PARAMETER_ARN (https://docs.aws.amazon.com/kms/latest/developerguide/services-parameter-store.html),
  # SQS aws:sqs:arn (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html),
  # S3 aws:s3:arn, the bucket's ARN with an S3 Bucket Key (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html),
  # CloudWatch Logs aws:logs:arn (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
  statement {
    sid       = "KeyUseByAccountThroughSSMForModuleParameters"
    effect    = "Allow"
    resources = ["*"]
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_service.ssm]
    }
    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:PARAMETER_ARN"
      values   = ["${local.ssm_parameter_arn_prefix}/*"]
    }
  }

  statement {
    sid       = "KeyUseByAccountThroughSQSForFailureQueue"
    effect    = "Allow"
    resources = ["*"]
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_service.sqs]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:sqs:arn"
      values   = [local.queue_arn]
    }
  }

  dynamic "statement" {
    for_each = var.create_trail ? [1] : [] # no trail or bucket of our own otherwise
    content {
      sid       = "KeyUseByAccountThroughS3ForTrailBucket"
      effect    = "Allow"
      resources = ["*"]
      actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
      principals {
        type        = "AWS"
        identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
      }
      condition {
        test     = "StringEquals"
        variable = "kms:CallerAccount"
        values   = [local.account_id]
      }
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.via_service.s3]
      }
      condition {
        test     = "StringLike"
        variable = "kms:EncryptionContext:aws:s3:arn"
        values   = [local.bucket_arn, "${local.bucket_arn}/*"]
      }
    }
  }

  # CloudWatch Logs may call KMS on behalf of the principal that calls it (kms:ViaService; "You should add
  # this to your roles which call CloudWatch Logs in either your Key Policy or in IAM", Encrypt log data in
  # CloudWatch Logs: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
  # The logs service principal's own statement below stays: it is what ingestion and reads use.
  statement {
    sid       = "KeyUseByAccountThroughLogsForModuleLogGroups"
    effect    = "Allow"
    resources = ["*"]
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_service.logs]
    }
    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = var.create_trail ? [local.trail_log_group_arn, local.lambda_log_group_arn] : [local.lambda_log_group_arn]
    }
  }

  # The delivery ledger (ledger.tf) and the canary's table (canary.tf). DynamoDB uses the key on behalf of
  # the principal accessing the table and creates grants for its background work on behalf of the principal
  # that creates it, through DynamoDB only, with the table's name in the encryption context (AWS KMS Developer
  # Guide, "How Amazon DynamoDB uses AWS KMS":
  # https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html). DescribeKey carries no
  # encryption context, so it has a statement of its own.
  dynamic "statement" {
    for_each = length(local.key_dynamodb_table_names) > 0 ? [1] : []
    content {
      sid       = "KeyUseByAccountThroughDynamoDBForModuleTables"
      effect    = "Allow"
      resources = ["*"]
      actions = [
        "kms:CreateGrant",
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
      ]
      principals {
        type        = "AWS"
        identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
      }
      condition {
        test     = "StringEquals"
        variable = "kms:CallerAccount"
        values   = [local.account_id]
      }
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.via_service.dynamodb]
      }
      condition {
        test     = "StringEquals"
        variable = "kms:EncryptionContext:aws:dynamodb:tableName"
        values   = local.key_dynamodb_table_names
      }
    }
  }

  dynamic "statement" {
    for_each = length(local.key_dynamodb_table_names) > 0 ? [1] : []
    content {
      sid       = "KeyDescribedByAccountThroughDynamoDB"
      effect    = "Allow"
      resources = ["*"]
      actions   = ["kms:DescribeKey"]
      principals {
        type        = "AWS"
        identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
      }
      condition {
        test     = "StringEquals"
        variable = "kms:CallerAccount"
        values   = [local.account_id]
      }
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.via_service.dynamodb]
      }
    }
  }

  dynamic "statement" {
    for_each = var.create_trail ? [1] : [] # no trail or bucket of our own otherwise
    content {
      sid       = "CloudTrailEncryptsLogFiles"
      effect    = "Allow"
      resources = ["*"]
      actions   = ["kms:GenerateDataKey"]
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
        variable = "kms:EncryptionContext:aws:cloudtrail:arn"
        values   = [local.trail_arn]
      }
    }
  }

  dynamic "statement" {
    for_each = var.create_trail ? [1] : [] # no trail or bucket of our own otherwise
    content {
      sid       = "CloudTrailDescribesKey"
      effect    = "Allow"
      resources = ["*"]
      actions   = ["kms:DescribeKey"]
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
  }

  # The trail bucket uses an S3 Bucket Key. "If you are using an existing S3 bucket with an S3 Bucket Key,
  # kms:Decrypt permissions are required to create or update a trail with SSE-KMS encryption enabled", and
  # the documented statement grants kms:Decrypt to the CloudTrail service principal (CloudTrail User Guide,
  # "Configure AWS KMS key policies for CloudTrail", granting decrypt permissions:
  # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html).
  # The documented example has no condition; aws:SourceArn binds it to this trail, as the same page
  # recommends for every CloudTrail statement of a trail's key.
  dynamic "statement" {
    for_each = var.create_trail ? [1] : [] # no trail or bucket of our own otherwise
    content {
      sid       = "CloudTrailDecryptsWithBucketKey"
      effect    = "Allow"
      resources = ["*"]
      actions   = ["kms:Decrypt"]
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
  }

  # Digest files (log file validation) are not encrypted by CloudTrail itself; S3 applies the bucket's
  # default encryption on CloudTrail's behalf, with the bucket as encryption context. aws:SourceArn binds
  # the statement to this trail, as for the log files (same CloudTrail page as above).
  dynamic "statement" {
    for_each = var.create_trail ? [1] : [] # no trail or bucket of our own otherwise
    content {
      sid       = "CloudTrailDigestFilesThroughS3"
      effect    = "Allow"
      resources = ["*"]
      actions   = ["kms:GenerateDataKey"]
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
        variable = "kms:ViaService"
        values   = [local.via_service.s3]
      }
      condition {
        test     = "StringLike"
        variable = "kms:EncryptionContext:aws:s3:arn"
        values   = [local.bucket_arn, "${local.bucket_arn}/*"]
      }
    }
  }

  statement {
    sid       = "CloudWatchLogsEncryptsOurLogGroups"
    effect    = "Allow"
    resources = ["*"]
    actions = [
      "kms:Decrypt",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
    ]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.${local.dns_suffix}"]
    }
    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = var.create_trail ? [local.trail_log_group_arn, local.lambda_log_group_arn] : [local.lambda_log_group_arn]
    }
  }

  statement {
    # The parameters this key encrypts: the configuration document, and the key-hash secret and the
    # webhook URL when the module stores them.
    sid       = "FunctionReadsItsParameters"
    effect    = "Allow"
    resources = ["*"]
    actions   = ["kms:Decrypt"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.lambda.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_service.ssm]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:PARAMETER_ARN"
      values   = local.own_key_parameter_arns
    }
  }

  statement {
    # Lambda sends failed invocations to the encrypted queue with the function's role.
    sid       = "FunctionSendsToFailureQueue"
    effect    = "Allow"
    resources = ["*"]
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.lambda.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_service.sqs]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:sqs:arn"
      values   = [local.queue_arn]
    }
  }
}

resource "aws_kms_key" "this" {
  count = local.create_kms_key ? 1 : 0

  description             = "dynamodb-access-alerts ${var.name}: trail logs, log groups, failure queue, parameters, ledger"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.kms[0].json
  tags                    = local.tags
}

resource "aws_kms_alias" "this" {
  count = local.create_kms_key ? 1 : 0

  name          = "alias/${var.name}-access-alerts"
  target_key_id = aws_kms_key.this[0].key_id
}
