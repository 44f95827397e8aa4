# The function that decides (layer 3), its log group, its least-privilege role, the asynchronous invoke
# configuration with the on-failure queue, and the subscription from the trail's log group.

locals {
  lambda_zip = "${path.module}/lambda_src/access_alerts.zip"

  # The environment only says where the configuration document is and which one it must be
  # (configuration.tf). No secret and nothing that grows with the estate goes here.
  lambda_environment = {
    ACCESS_ALERTS_CONFIG_PARAMETER = local.configuration_parameter_name # the parts are NAME-1 ... NAME-N
    ACCESS_ALERTS_CONFIG_PARTS     = tostring(local.configuration_part_count)
    ACCESS_ALERTS_CONFIG_SHA256    = local.configuration_sha256
  }
  # Every parameter the function reads: the document, the webhook URL, the key-hash secret, the
  # destinations' secrets (destinations.tf).
  readable_parameter_arns = distinct(compact(concat(local.configuration_parameter_arns, [
    local.webhook_parameter_arn == null ? "" : local.webhook_parameter_arn,
    var.key_values == "hash" ? local.key_hash_parameter_arn : "",
  ], local.destination_parameter_arns)))
}

resource "aws_cloudwatch_log_group" "lambda" {
  #checkov:skip=CKV_AWS_338:Operational logs of the function (decision counts, delivery errors), no audit record; retention is lambda_log_retention_in_days.
  name              = local.lambda_log_group_name
  retention_in_days = var.lambda_log_retention_in_days
  kms_key_id        = local.kms_key_arn
  tags              = local.tags
}

# ------------------------------------------------------------------------------------------------ IAM

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "lambda" {
  name                 = local.lambda_role_name
  description          = "dynamodb-access-alerts function ${local.function_name}"
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume.json
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  tags                 = local.tags
}

data "aws_iam_policy_document" "lambda" {
  statement {
    sid       = "WriteOwnLogGroup"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.lambda.arn}:log-stream:*"]
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
      values   = [local.lambda_log_group_arn]
    }
  }

  statement {
    sid       = "ReadOwnParameters"
    effect    = "Allow"
    actions   = ["ssm:GetParameter"]
    resources = local.readable_parameter_arns
  }

  # SSM decrypts a SecureString with the caller's permissions and the parameter's ARN as encryption
  # context, so this allows decrypting exactly the parameters under the module's key, and only via SSM.
  statement {
    sid       = "DecryptOwnParameters"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [local.kms_key_arn]
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

  dynamic "statement" {
    # A webhook parameter the user manages, encrypted with the user's own key.
    for_each = !local.webhook_url_given && var.slack_webhook_url_ssm_parameter_kms_key_arn != null ? [1] : []
    content {
      sid       = "DecryptUserWebhookParameter"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [var.slack_webhook_url_ssm_parameter_kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.via_service.ssm]
      }
      condition {
        test     = "StringEquals"
        variable = "kms:EncryptionContext:PARAMETER_ARN"
        values   = [local.webhook_parameter_arn]
      }
    }
  }

  # The delivery ledger (ledger.tf, ledger.py): only the item calls the function makes, on that table only.
  statement {
    sid    = "UseDeliveryLedger"
    effect = "Allow"
    actions = [
      "dynamodb:BatchGetItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]
    resources = [local.ledger_table_arn]
  }

  # The ledger is encrypted with the module key; DynamoDB uses it on the function's behalf.
  statement {
    sid       = "LedgerEncryptionThroughDynamoDB"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [local.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_service.dynamodb]
    }
  }

  dynamic "statement" {
    # A destination's parameters under the user's own key: decrypt exactly those, only through SSM.
    for_each = local.destination_parameter_keys
    content {
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [statement.value.key]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${local.region}.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "kms:EncryptionContext:PARAMETER_ARN"
        values   = statement.value.parameter_arns
      }
    }
  }

  dynamic "statement" {
    for_each = length(local.sns_topic_arns) > 0 ? [1] : []
    content {
      sid       = "PublishToDestinationTopics"
      effect    = "Allow"
      actions   = ["sns:Publish"]
      resources = local.sns_topic_arns
    }
  }

  dynamic "statement" {
    # A KMS-encrypted topic: SNS encrypts with the publisher's permissions. The encryption context names the
    # topic (aws:sns:topicArn, as AWS documents for SNS server-side encryption; not verifiable offline here).
    for_each = local.sns_topic_keys
    content {
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
      resources = [statement.value.key]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sns.${statement.value.region}.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "kms:EncryptionContext:aws:sns:topicArn"
        values   = [statement.value.topic]
      }
    }
  }

  statement {
    sid       = "SendFailedInvocationsToQueue"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.this.arn]
  }

  statement {
    sid       = "EncryptFailedInvocations"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [local.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_service.sqs]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:sqs:arn"
      values   = [aws_sqs_queue.this.arn]
    }
  }
}

resource "aws_iam_role_policy" "lambda" {
  name   = "${var.name}-least-privilege"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda.json
}

# ------------------------------------------------------------------------------------------- function

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Failed asynchronous invocations go to the on-failure destination (aws_lambda_function_event_invoke_config), which supersedes a DLQ.
  #checkov:skip=CKV_AWS_117:It must reach the webhook on the internet; a VPC would need a NAT gateway for no gain.
  #checkov:skip=CKV_AWS_173:The environment holds no secret (the configuration parameter name and the document hash); secrets are SSM SecureStrings.
  #checkov:skip=CKV_AWS_272:Code signing needs a signing profile outside this module; the zip is built deterministically and checked in CI.
  #checkov:skip=CKV_AWS_50:X-Ray tracing adds cost and permissions for a single-step function; decision counts are logged per invocation.
  #checkov:skip=CKV_AWS_115:Reserved concurrency is the lambda_reserved_concurrency variable (default: account pool).
  function_name = local.function_name
  # Fixed text: a description that follows the inputs would show up in every plan that adds a table.
  description                    = "dynamodb-access-alerts: alerts on unexpected access to the watched DynamoDB tables"
  role                           = aws_iam_role.lambda.arn
  runtime                        = var.lambda_runtime
  architectures                  = [var.lambda_architecture]
  handler                        = "access_alerts.handler.lambda_handler"
  filename                       = local.lambda_zip
  source_code_hash               = filebase64sha256(local.lambda_zip)
  memory_size                    = var.lambda_memory_size
  timeout                        = var.lambda_timeout
  reserved_concurrent_executions = var.lambda_reserved_concurrency
  tags                           = local.tags

  environment {
    variables = local.lambda_environment
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.lambda.name
  }

  lifecycle {
    precondition {
      condition     = !(local.webhook_url_given && local.webhook_parameter_given)
      error_message = "Set at most one of slack_webhook_url (the module stores it in SSM) and slack_webhook_url_ssm_parameter_name (a SecureString parameter you manage): both are set."
    }
  }

  # The document is written before the function's configuration (and so its expected hash) changes:
  # execution environments started after that read the new document. Between the two updates, new
  # environments of the old configuration find a document with another hash and fail; Lambda retries.
  depends_on = [aws_iam_role_policy.lambda, aws_ssm_parameter.configuration]
}

resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.lambda_maximum_retry_attempts
  maximum_event_age_in_seconds = var.lambda_maximum_event_age_in_seconds

  destination_config {
    on_failure {
      destination = aws_sqs_queue.this.arn
    }
  }
}

# --------------------------------------------------------------------------------------- subscription

# The module's trail log group, or (create_trail = false) the existing one (local.watched_log_group_*).
# Either way exactly one subscription filter of ours; a log group takes at most 2.

resource "aws_lambda_permission" "this" {
  statement_id   = "AllowTrailLogGroupSubscription"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  principal      = "logs.amazonaws.com"
  source_arn     = "${local.watched_log_group_arn}:*"
  source_account = local.account_id
}

resource "aws_cloudwatch_log_subscription_filter" "this" {
  name = "${var.name}-access-alerts"
  # Our own group by reference, so the filter waits for it; the existing group by its checked name.
  log_group_name  = var.create_trail ? aws_cloudwatch_log_group.trail[0].name : local.watched_log_group_name
  filter_pattern  = local.subscription_filter_pattern
  destination_arn = aws_lambda_function.this.arn

  lifecycle {
    precondition {
      condition     = length(local.subscription_filter_pattern) <= 1024
      error_message = "The subscription filter pattern is ${length(local.subscription_filter_pattern)} characters; CloudWatch Logs allows 1024."
    }
    precondition {
      condition     = !var.create_trail || (var.existing_log_group_name == null && var.existing_trail_arn == null && var.existing_log_group_kms_key_arn == null)
      error_message = "existing_log_group_name, existing_trail_arn and existing_log_group_kms_key_arn are read only with create_trail = false; with create_trail = true the module creates and watches its own trail and log group. Remove them, or set create_trail = false."
    }
    precondition {
      # The module's own trail checks this too (trail.tf); here it covers the selectors an existing
      # trail's owner is asked to add, which count against the same limit with the trail's own.
      condition     = var.create_trail || module.selectors.fits
      error_message = "The selectors the existing trail would need (required_advanced_event_selectors) do not fit in one trail, even before its own selectors count: ${module.selectors.limit_message}"
    }
  }

  # CloudWatch Logs test-invokes the function when the filter is created: the permission must exist.
  depends_on = [aws_lambda_permission.this]
}
