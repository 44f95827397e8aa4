# Where undeliverable alerts wait (Lambda's on-failure destination), and the alarms that say so.

resource "aws_sqs_queue" "this" {
  name                              = local.queue_name
  message_retention_seconds         = 1209600 # 14 days, the maximum: time to fix the webhook and redrive
  kms_master_key_id                 = local.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = local.tags
}

resource "aws_cloudwatch_metric_alarm" "queue" {
  alarm_name          = local.queue_alarm_name
  alarm_description   = "Alerts of ${var.name} could not be delivered and wait in ${local.queue_name}; fix the webhook, then redrive (python -m access_alerts redrive)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.this.name }
  statistic           = "Maximum"
  period              = var.alarm_settings.period_seconds
  evaluation_periods  = var.alarm_settings.evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = var.alarm_settings.treat_missing_data_as_healthy ? "notBreaching" : "breaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = local.errors_alarm_name
  alarm_description   = "The ${local.function_name} function failed (undeliverable alerts, bad configuration or a bug); see log group ${local.lambda_log_group_name}."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = var.alarm_settings.period_seconds
  evaluation_periods  = var.alarm_settings.evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = var.alarm_settings.treat_missing_data_as_healthy ? "notBreaching" : "breaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = local.tags
}
