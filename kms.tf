# One customer-managed key for everything the pipeline stores: trail log files (S3), both log groups, the
# on-failure queue, the SSM parameters (configuration document and secrets) and the delivery ledger. Not created when
# var.kms_key_arn is given; docs/terraform.md lists what that key's policy must grant instead.
#
# Each service gets exactly the calls it makes, bound to our resources by encryption context (and source ARN
# where the service sends one). Account principals keep key administration (so the key can never become
# unmanageable) and use of the key only through SSM, SQS and S3 (Terraform writing the parameters, people
# reading the queue or the log files, each still subject to their own IAM permissions).

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

  statement {
    sid       = "KeyUseByAccountThroughServices"
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
      values   = ["ssm.${local.region}.amazonaws.com", "sqs.${local.region}.amazonaws.com", "s3.${local.region}.amazonaws.com"]
    }
  }

  statement {
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

  statement {
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

  # Digest files (log file validation) are not encrypted by CloudTrail itself; S3 applies the bucket's
  # default encryption on CloudTrail's behalf, with the bucket as encryption context.
  statement {
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
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:aws:s3:arn"
      values   = ["arn:${local.partition}:s3:::${local.bucket_name}", "arn:${local.partition}:s3:::${local.bucket_name}/*"]
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
      values   = [local.trail_log_group_arn, local.lambda_log_group_arn]
    }
  }

  # The delivery ledger (ledger.tf) is encrypted with this key. DynamoDB uses the key on behalf of the
  # principals that create and use the table: Terraform's identity creates it (DynamoDB then creates a grant),
  # the function reads and writes items (its IAM policy allows the same calls, through DynamoDB only). The
  # actions and the service statement below follow the DynamoDB developer guide's key policy for a customer
  # managed key; AWS's enforcement of them is not exercised by the offline tests (moto does not check KMS).
  statement {
    sid       = "AccountUsesKeyThroughDynamoDB"
    effect    = "Allow"
    resources = ["*"]
    actions = [
      "kms:CreateGrant",
      "kms:Decrypt",
      "kms:DescribeKey",
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
      values   = ["dynamodb.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "DynamoDBDescribesKey"
    effect    = "Allow"
    resources = ["*"]
    actions   = ["kms:DescribeKey"]
    principals {
      type        = "Service"
      identifiers = ["dynamodb.amazonaws.com"]
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
      values   = ["ssm.${local.region}.amazonaws.com"]
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
      values   = ["sqs.${local.region}.amazonaws.com"]
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
