# The end-to-end canary (docs/canary.md): a dead man's switch for the whole delivery path.
#
# Every var.canary_interval_minutes an EventBridge Scheduler schedule calls DynamoDB PutItem directly (a
# "universal target", no function of ours in between) with a role of its own, writing one fixed item into a
# small table of the module. That write is a data event on a table in the trail's selector, so it travels
# exactly the way an unexpected write would: trail selectors -> log group -> subscription filter -> function.
# The function recognises it (the configuration document's `canary` field: this table and this role) and
# counts it in the invocation summary's CanarySeen metric instead of alerting. The alarm below fires when no
# heartbeat arrived for local.canary_alarm_minutes, treating missing data as breaching: a function that is
# never invoked (trail stopped, selectors changed, role detached, key disabled, filter deleted, function
# broken) produces no data at all, which is exactly what it must catch.
#
# canary_interval_minutes = 0 creates none of this, and the document's `canary` is null.

locals {
  canary_enabled = var.canary_interval_minutes > 0
  # Three intervals by default, but never less than 30 minutes: CloudTrail delivers to CloudWatch Logs within
  # minutes, and a window shorter than that would page on ordinary delivery delay. At most one day: a
  # one-minute alarm period may be evaluated over at most 1440 periods (PutMetricAlarm, EvaluationPeriods).
  canary_alarm_minutes = coalesce(var.canary_alarm_minutes, min(max(3 * var.canary_interval_minutes, 30), 1440))

  canary_table_name    = "${var.name}-access-alerts-canary"
  canary_table_arn     = "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${local.canary_table_name}"
  canary_role_name     = "${var.name}-canary"
  canary_role_arn      = "arn:${local.partition}:iam::${local.account_id}:role${var.role_path}${local.canary_role_name}"
  canary_schedule_name = "${var.name}-access-alerts-canary"
  canary_alarm_name    = "${var.name}-canary-silent"
  # The schedule group the schedule lives in; the role's trust is bound to it (aws:SourceArn).
  canary_schedule_group     = "default"
  canary_schedule_group_arn = "arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule-group/${local.canary_schedule_group}"
  # A rate of 1 takes the singular unit (EventBridge Scheduler, "Schedule types": rate expressions).
  canary_rate = var.canary_interval_minutes == 1 ? "rate(1 minute)" : "rate(${var.canary_interval_minutes} minutes)"
  # The heartbeat's item: a fixed key, overwritten on every run, so the table always holds exactly one item
  # (no TTL needed; Scheduler's context attributes are strings and could not fill a TTL number anyway).
  canary_put_item = {
    TableName = local.canary_table_name
    Item      = { id = { S = "heartbeat" } }
  }

  # The canary role's sessions as CloudTrail names them. If an allow-list entry excluded them at the trail
  # (exclude_allowed_roles_at_source), the heartbeat would never be logged and the alarm would always fire.
  canary_session_prefix = "arn:${local.partition}:sts::${local.account_id}:assumed-role/${local.canary_role_name}/"
  canary_excluded_by    = [for p in module.selectors.exclusion_prefixes : p if startswith(local.canary_session_prefix, p)]
}

# ---------------------------------------------------------------------------------------------- table

resource "aws_dynamodb_table" "canary" {
  count = local.canary_enabled ? 1 : 0
  #checkov:skip=CKV_AWS_28:The table holds one heartbeat item that the next run rewrites; there is nothing to recover.
  #checkov:skip=CKV2_AWS_16:On-demand capacity: there is nothing to auto-scale.

  name         = local.canary_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = local.kms_key_arn
  }

  tags = local.tags
}

# ----------------------------------------------------------------------------------------------- role

# Only EventBridge Scheduler may assume the role, only for schedules of this account's schedule group
# (EventBridge Scheduler User Guide, "Confused deputy prevention": aws:SourceArn must be the schedule group's
# ARN, not a schedule's: https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html).
data "aws_iam_policy_document" "canary_assume" {
  count = local.canary_enabled ? 1 : 0

  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.canary_schedule_group_arn]
    }
  }
}

resource "aws_iam_role" "canary" {
  count = local.canary_enabled ? 1 : 0

  name                 = local.canary_role_name
  description          = "dynamodb-access-alerts ${var.name}: the canary's schedule writes one heartbeat item"
  assume_role_policy   = data.aws_iam_policy_document.canary_assume[0].json
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  tags                 = local.tags
}

data "aws_iam_policy_document" "canary" {
  count = local.canary_enabled ? 1 : 0

  statement {
    sid       = "PutHeartbeat"
    effect    = "Allow"
    actions   = ["dynamodb:PutItem"]
    resources = [local.canary_table_arn]
  }

  # DynamoDB uses the table's key on behalf of the caller, through DynamoDB only, with the table's name in
  # the encryption context (AWS KMS Developer Guide, "How Amazon DynamoDB uses AWS KMS": key policy and
  # encryption context: https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html).
  statement {
    sid       = "UseTableKeyThroughDynamoDB"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [local.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.via_service.dynamodb]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:dynamodb:tableName"
      values   = [local.canary_table_name]
    }
  }
}

resource "aws_iam_role_policy" "canary" {
  count = local.canary_enabled ? 1 : 0

  name   = "put-heartbeat"
  role   = aws_iam_role.canary[0].id
  policy = data.aws_iam_policy_document.canary[0].json
}

# ------------------------------------------------------------------------------------------- schedule

# A universal target calls the API named in its ARN with Input as the request and the role's permissions
# (EventBridge Scheduler User Guide, "Using universal targets": arn:PARTITION:scheduler:::aws-sdk:SERVICE:API:
# https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html).
resource "aws_scheduler_schedule" "canary" {
  count = local.canary_enabled ? 1 : 0
  #checkov:skip=CKV_AWS_297:The target input is a fixed, non-secret PutItem request (table name and a constant key); a customer managed key would add key-policy grants for Scheduler and protect nothing.

  name                = local.canary_schedule_name
  group_name          = local.canary_schedule_group
  description         = "dynamodb-access-alerts ${var.name}: heartbeat of the end-to-end canary (docs/canary.md)"
  schedule_expression = local.canary_rate
  state               = "ENABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = "arn:${local.partition}:scheduler:::aws-sdk:dynamodb:putItem"
    role_arn = aws_iam_role.canary[0].arn
    input    = jsonencode(local.canary_put_item)

    # A heartbeat that cannot be written within five minutes is stale: the next run writes a fresh one.
    retry_policy {
      maximum_event_age_in_seconds = 300
      maximum_retry_attempts       = 2
    }
  }

  lifecycle {
    precondition {
      condition     = length(local.canary_excluded_by) == 0
      error_message = "allowed_role_arns excludes the canary's role (${local.canary_role_name}) at the trail through ${jsonencode(local.canary_excluded_by)}: its heartbeat would never be logged and the canary alarm would always fire. Narrow that allow-list entry, set exclude_allowed_roles_at_source = false, or set canary_interval_minutes = 0."
    }
    precondition {
      condition     = local.canary_alarm_minutes >= var.canary_interval_minutes + 10
      error_message = "canary_alarm_minutes (${local.canary_alarm_minutes}) must be at least canary_interval_minutes (${var.canary_interval_minutes}) + 10: one interval plus CloudTrail's delivery time, or the alarm fires between two healthy heartbeats."
    }
  }

  # The role must be able to write before the first run.
  depends_on = [aws_iam_role_policy.canary]
}

# ---------------------------------------------------------------------------------------------- alarm

# No heartbeat in the last local.canary_alarm_minutes one-minute periods: every period is breaching (a
# missing datapoint counts as breaching, and an invocation without a heartbeat reports CanarySeen = 0), so
# the alarm fires exactly when the whole window passed without one. The alarm is CloudWatch's own: it does
# not depend on the trail, log group, subscription or function it watches.
resource "aws_cloudwatch_metric_alarm" "canary" {
  count = local.canary_enabled ? 1 : 0

  alarm_name          = local.canary_alarm_name
  alarm_description   = "No heartbeat of the ${var.name} canary reached the ${local.function_name} function for ${local.canary_alarm_minutes} minutes: the path trail -> log group -> subscription filter -> function is broken or switched off, or the canary itself was stopped (docs/canary.md)."
  namespace           = local.rules.metrics.namespace
  metric_name         = local.rules.metrics.canary_seen
  dimensions          = { (local.rules.metrics.function_dimension) = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = local.canary_alarm_minutes
  datapoints_to_alarm = local.canary_alarm_minutes
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = local.tags
}

# -------------------------------------------------------------------------------------- alarm actions

# Alarms that notify nobody are not a safeguard: say so in every plan (a warning, not an error, so a
# first deployment without a pager still applies). docs/canary.md shows how to send them to SNS.
check "alarm_actions_notify_someone" {
  assert {
    condition     = length(var.alarm_actions) > 0
    error_message = "alarm_actions is empty: the module's alarms (undelivered alerts, function errors${local.canary_enabled ? ", canary silence" : ""}) will change state but notify nobody, so a broken or switched-off pipeline stays silent. Pass an SNS topic ARN (docs/canary.md, \"Wiring the alarms\")."
  }
}
