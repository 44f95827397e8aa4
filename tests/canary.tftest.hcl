# The end-to-end canary (canary.tf, docs/canary.md), the alarm_actions warning, and the key and role
# policy details that only real AWS would otherwise reveal (partition DNS suffix, encryption contexts).

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  name                         = "unit"
  table_names                  = ["orders"]
  allowed_role_arns            = ["arn:aws:iam::123456789012:role/orders-service"]
  allowed_management_role_arns = ["arn:aws:iam::123456789012:role/deployer"]
  slack_webhook_url            = "https://hooks.slack.com/services/T000/B000/SECRETSECRET"
  alarm_actions                = ["arn:aws:sns:us-east-1:123456789012:oncall"]
}

run "canary_is_on_by_default" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.canary[0].name == "unit-access-alerts-canary" && aws_dynamodb_table.canary[0].billing_mode == "PAY_PER_REQUEST" && aws_dynamodb_table.canary[0].hash_key == "id"
    error_message = "One small on-demand table for the heartbeat."
  }

  assert {
    condition     = aws_dynamodb_table.canary[0].server_side_encryption[0].enabled && aws_dynamodb_table.canary[0].server_side_encryption[0].kms_key_arn == "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    error_message = "The canary table is encrypted with the module key."
  }

  assert {
    condition     = aws_scheduler_schedule.canary[0].schedule_expression == "rate(15 minutes)" && aws_scheduler_schedule.canary[0].state == "ENABLED" && aws_scheduler_schedule.canary[0].flexible_time_window[0].mode == "OFF"
    error_message = "The schedule runs every 15 minutes, on time."
  }

  assert {
    condition     = aws_scheduler_schedule.canary[0].target[0].arn == "arn:aws:scheduler:::aws-sdk:dynamodb:putItem" && aws_scheduler_schedule.canary[0].target[0].role_arn == "arn:aws:iam::123456789012:role/mocked-role"
    error_message = "The schedule calls DynamoDB PutItem itself (universal target) with the canary role."
  }

  assert {
    condition     = jsondecode(aws_scheduler_schedule.canary[0].target[0].input) == { TableName = "unit-access-alerts-canary", Item = { id = { S = "heartbeat" } } }
    error_message = "The target's input is a PutItem request of one fixed item into the canary table."
  }

  assert {
    condition = anytrue([
      for f in output.advanced_event_selectors[0].field_selectors : f.field == "resources.ARN" && try(contains(f.equals, "arn:aws:dynamodb:us-east-1:123456789012:table/unit-access-alerts-canary") && contains(f.equals, "arn:aws:dynamodb:us-east-1:123456789012:table/orders"), false)
    ])
    error_message = "The canary table is in the trail's data selector beside the watched tables."
  }

  assert {
    condition     = output.lambda_configuration.canary == { table_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/unit-access-alerts-canary", role_arn = "arn:aws:iam::123456789012:role/unit-canary" }
    error_message = "The document names the canary's table and role, so the function recognises the heartbeat."
  }

  assert {
    condition     = !contains(output.lambda_configuration.tables, "arn:aws:dynamodb:us-east-1:123456789012:table/unit-access-alerts-canary")
    error_message = "The canary table is not one of the user's watched tables in the document (the function adds it from canary)."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.canary[0].alarm_name == "unit-canary-silent"
      && aws_cloudwatch_metric_alarm.canary[0].namespace == "DynamoDBAccessAlerts"
      && aws_cloudwatch_metric_alarm.canary[0].metric_name == "CanarySeen"
      && length(aws_cloudwatch_metric_alarm.canary[0].dimensions) == 1
      && aws_cloudwatch_metric_alarm.canary[0].dimensions["FunctionName"] == "unit"
      && aws_cloudwatch_metric_alarm.canary[0].statistic == "Sum"
      && aws_cloudwatch_metric_alarm.canary[0].comparison_operator == "LessThanThreshold"
      && aws_cloudwatch_metric_alarm.canary[0].threshold == 1
    )
    error_message = "The alarm watches the function's CanarySeen count (names from rules.json)."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.canary[0].treat_missing_data == "breaching" && aws_cloudwatch_metric_alarm.canary[0].period == 60 && aws_cloudwatch_metric_alarm.canary[0].evaluation_periods == 45 && aws_cloudwatch_metric_alarm.canary[0].datapoints_to_alarm == 45
    error_message = "Missing data is breaching, and 45 minutes (3 intervals) without a heartbeat fire the alarm."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.canary[0].alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:oncall"]) && aws_cloudwatch_metric_alarm.canary[0].ok_actions == toset(["arn:aws:sns:us-east-1:123456789012:oncall"])
    error_message = "The canary alarm notifies alarm_actions, also on return to OK."
  }

  assert {
    condition     = output.canary.alarm_minutes == 45 && output.canary.interval_minutes == 15 && output.canary.schedule_name == "unit-access-alerts-canary" && !output.alarm_actions_missing
    error_message = "The canary output says what was built."
  }

  assert {
    condition     = toset(flatten([for s in data.aws_iam_policy_document.canary[0].statement : s.actions])) == toset(["dynamodb:PutItem", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]) && toset(flatten([for s in data.aws_iam_policy_document.canary[0].statement : s.resources if s.sid == "PutHeartbeat"])) == toset(["arn:aws:dynamodb:us-east-1:123456789012:table/unit-access-alerts-canary"])
    error_message = "The canary role may only put items into its table (and use the key through DynamoDB for it)."
  }

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.canary_assume[0].statement : (
      toset(flatten([for p in s.principals : p.identifiers])) == toset(["scheduler.amazonaws.com"])
      && anytrue([for c in s.condition : c.variable == "aws:SourceArn" && contains(c.values, "arn:aws:scheduler:us-east-1:123456789012:schedule-group/default")])
      && anytrue([for c in s.condition : c.variable == "aws:SourceAccount" && contains(c.values, "123456789012")])
    )])
    error_message = "Only EventBridge Scheduler, for this account's schedule group, may assume the canary role."
  }

  assert {
    condition     = contains(output.alarm_names, "unit-canary-silent") && contains(output.lambda_configuration.pipeline.alarm_names, "unit-canary-silent")
    error_message = "The canary alarm is one of the module's alarms, and watched for tampering."
  }
}

run "canary_off_creates_nothing_of_it" {
  command = plan

  variables {
    canary_interval_minutes = 0
  }

  assert {
    condition = (
      length(aws_dynamodb_table.canary) == 0 && length(aws_iam_role.canary) == 0 && length(aws_iam_role_policy.canary) == 0
      && length(aws_scheduler_schedule.canary) == 0 && length(aws_cloudwatch_metric_alarm.canary) == 0
      && length(data.aws_iam_policy_document.canary) == 0 && length(data.aws_iam_policy_document.canary_assume) == 0
    )
    error_message = "canary_interval_minutes = 0 creates no table, role, schedule or alarm."
  }

  assert {
    condition     = output.canary == null && output.lambda_configuration.canary == null
    error_message = "Without a canary the output and the document's canary are null."
  }

  assert {
    condition     = tolist(output.lambda_configuration.pipeline.alarm_names) == tolist(["unit-undelivered-alerts", "unit-function-errors"]) && length(output.lambda_configuration.pipeline.schedule_names) == 0 && tolist(output.lambda_configuration.pipeline.role_names) == tolist(["unit-lambda", "unit-cloudtrail-logs"])
    error_message = "The pipeline section lists no canary resources."
  }

  assert {
    condition = alltrue([
      for f in output.advanced_event_selectors[0].field_selectors : f.field != "resources.ARN" || try(tolist(f.equals) == tolist(["arn:aws:dynamodb:us-east-1:123456789012:table/orders"]), false)
    ])
    error_message = "Without a canary the data selector lists only the watched tables."
  }

  assert {
    condition = alltrue(flatten([
      for s in data.aws_iam_policy_document.kms[0].statement : [
        for c in s.condition : tolist(c.values) == tolist(["unit-delivery-ledger"]) if c.variable == "kms:EncryptionContext:aws:dynamodb:tableName"
      ]
    ]))
    error_message = "Without a canary table the key policy's DynamoDB use names the delivery ledger only."
  }
}

run "a_one_minute_canary" {
  command = plan

  variables {
    canary_interval_minutes = 1
  }

  assert {
    condition     = aws_scheduler_schedule.canary[0].schedule_expression == "rate(1 minute)"
    error_message = "A rate of 1 takes the singular unit."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.canary[0].evaluation_periods == 30
    error_message = "The default window is three intervals but at least 30 minutes (CloudTrail's delivery time)."
  }
}

run "an_explicit_alarm_window" {
  command = plan

  variables {
    canary_interval_minutes = 60
    canary_alarm_minutes    = 150
  }

  assert {
    condition     = aws_scheduler_schedule.canary[0].schedule_expression == "rate(60 minutes)" && aws_cloudwatch_metric_alarm.canary[0].evaluation_periods == 150 && aws_cloudwatch_metric_alarm.canary[0].datapoints_to_alarm == 150
    error_message = "canary_alarm_minutes sets the window."
  }
}

run "alarm_window_shorter_than_an_interval" {
  command = plan

  variables {
    canary_interval_minutes = 60
    canary_alarm_minutes    = 65
  }

  expect_failures = [aws_scheduler_schedule.canary]
}

run "interval_out_of_range" {
  command = plan

  variables {
    canary_interval_minutes = 721
  }

  expect_failures = [var.canary_interval_minutes]
}

run "interval_not_whole_minutes" {
  command = plan

  variables {
    canary_interval_minutes = 2.5
  }

  expect_failures = [var.canary_interval_minutes]
}

run "alarm_window_out_of_range" {
  command = plan

  variables {
    canary_alarm_minutes = 1441
  }

  expect_failures = [var.canary_alarm_minutes]
}

run "canary_role_excluded_at_the_trail" {
  command = plan

  variables {
    # role/unit-* excludes every session of roles named unit-..., the canary's (unit-canary) included.
    allowed_role_arns = ["arn:aws:iam::123456789012:role/unit-*"]
  }

  expect_failures = [aws_scheduler_schedule.canary]
}

run "canary_role_matched_only_by_the_lambda_is_fine" {
  command = plan

  variables {
    allowed_role_arns               = ["arn:aws:iam::123456789012:role/unit-*"]
    exclude_allowed_roles_at_source = false
  }

  assert {
    condition     = length(aws_scheduler_schedule.canary) == 1
    error_message = "Without exclusion at the trail the heartbeat is logged; the function recognises it first."
  }
}

run "empty_alarm_actions_warns" {
  command = plan

  variables {
    alarm_actions = []
  }

  expect_failures = [check.alarm_actions_notify_someone]

  assert {
    condition     = output.alarm_actions_missing
    error_message = "The plan says that the alarms notify nobody."
  }
}

run "aws_cn_service_names_end_in_amazonaws_com_cn" {
  command = plan

  override_data {
    target = data.aws_partition.current
    values = {
      partition          = "aws-cn"
      dns_suffix         = "amazonaws.com.cn"
      reverse_dns_prefix = "cn.com.amazonaws"
    }
  }

  override_data {
    target = data.aws_region.current
    values = {
      id          = "cn-north-1"
      name        = "cn-north-1"
      description = "China (Beijing)"
      endpoint    = "ec2.cn-north-1.amazonaws.com.cn"
    }
  }

  variables {
    allowed_role_arns            = ["arn:aws-cn:iam::123456789012:role/orders-service"]
    allowed_management_role_arns = ["arn:aws-cn:iam::123456789012:role/deployer"]
    alarm_actions                = ["arn:aws-cn:sns:cn-north-1:123456789012:oncall"]
  }

  assert {
    condition = length(flatten([
      for d in [data.aws_iam_policy_document.kms[0], data.aws_iam_policy_document.lambda, data.aws_iam_policy_document.trail[0], data.aws_iam_policy_document.canary[0]] : [
        for s in d.statement : [for c in s.condition : c.values if c.variable == "kms:ViaService"]
      ]
    ])) >= 10
    error_message = "The policies carry kms:ViaService conditions (guards the check below against checking nothing)."
  }

  assert {
    condition = alltrue(flatten([
      for d in [data.aws_iam_policy_document.kms[0], data.aws_iam_policy_document.lambda, data.aws_iam_policy_document.trail[0], data.aws_iam_policy_document.canary[0]] : [
        for s in d.statement : [for c in s.condition : [for v in c.values : endswith(v, ".cn-north-1.amazonaws.com.cn")] if c.variable == "kms:ViaService"]
      ]
    ]))
    error_message = "Every kms:ViaService value is SERVICE.cn-north-1.amazonaws.com.cn in aws-cn."
  }

  assert {
    condition     = aws_scheduler_schedule.canary[0].target[0].arn == "arn:aws-cn:scheduler:::aws-sdk:dynamodb:putItem" && output.lambda_configuration.canary.table_arn == "arn:aws-cn:dynamodb:cn-north-1:123456789012:table/unit-access-alerts-canary"
    error_message = "The canary's ARNs are in the aws-cn partition."
  }
}

run "key_policy_scopes_account_use_by_encryption_context" {
  command = plan

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.kms[0].statement : anytrue([for c in s.condition : startswith(c.variable, "kms:EncryptionContext:")])
      if contains(flatten([for p in s.principals : p.identifiers]), "arn:aws:iam::123456789012:root") && !contains(["KeyAdministrationByAccount", "KeyDescribedByAccountThroughDynamoDB"], s.sid)
    ])
    error_message = "Every statement that lets account principals use the key through a service names the pipeline's resource in the encryption context."
  }

  assert {
    condition = toset(flatten([
      for s in data.aws_iam_policy_document.kms[0].statement : [for c in s.condition : c.values if c.variable == "kms:EncryptionContext:PARAMETER_ARN" || c.variable == "kms:EncryptionContext:aws:sqs:arn" || c.variable == "kms:EncryptionContext:aws:s3:arn" || c.variable == "kms:EncryptionContext:aws:dynamodb:tableName"]
      if s.sid != null && startswith(s.sid, "KeyUseByAccount")
      ])) == toset([
      "arn:aws:ssm:us-east-1:123456789012:parameter/dynamodb-access-alerts/unit/*",
      "arn:aws:sqs:us-east-1:123456789012:unit-failed-alerts",
      "arn:aws:s3:::unit-trail-123456789012-us-east-1",
      "arn:aws:s3:::unit-trail-123456789012-us-east-1/*",
      "unit-delivery-ledger",
      "unit-access-alerts-canary",
    ])
    error_message = "Account use is bound to the module's parameters (by ARN prefix), queue, bucket, ledger and canary table."
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.kms[0].statement : s.sid == "CloudTrailDecryptsWithBucketKey" && toset(s.actions) == toset(["kms:Decrypt"]) && anytrue([for c in s.condition : c.variable == "aws:SourceArn" && toset(c.values) == toset(["arn:aws:cloudtrail:us-east-1:123456789012:trail/unit"])])
    ])
    error_message = "CloudTrail may decrypt (S3 Bucket Key), for this trail only."
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.kms[0].statement : s.sid == "CloudTrailDigestFilesThroughS3" && anytrue([for c in s.condition : c.variable == "aws:SourceArn" && toset(c.values) == toset(["arn:aws:cloudtrail:us-east-1:123456789012:trail/unit"])])
    ])
    error_message = "The digest-file statement is bound to this trail by aws:SourceArn."
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.kms[0].statement : s.sid == "KeyUseByAccountThroughLogsForModuleLogGroups" && anytrue([for c in s.condition : c.variable == "kms:EncryptionContext:aws:logs:arn" && toset(c.values) == toset(["arn:aws:logs:us-east-1:123456789012:log-group:/aws/cloudtrail/unit", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/unit"])])
    ])
    error_message = "Account use through CloudWatch Logs is bound to the module's two log groups."
  }
}
