output "trail_arn" {
  description = "ARN of the trail the alerts come from: the module's own, or existing_trail_arn with create_trail = false (null when that was not given)."
  value       = var.create_trail ? aws_cloudtrail.this[0].arn : var.existing_trail_arn
}

output "trail_name" {
  description = "Name of that trail (null with create_trail = false and no existing_trail_arn)."
  value       = var.create_trail ? aws_cloudtrail.this[0].name : try(split("/", var.existing_trail_arn)[1], null)
}

output "trail_bucket_name" {
  description = "Name of the S3 bucket the module created for its trail's log files; null with create_trail = false."
  value       = var.create_trail ? aws_s3_bucket.this[0].id : null
}

output "log_group_name" {
  description = "Name of the CloudWatch Logs log group the subscription filter reads: the module's trail log group, or existing_log_group_name with create_trail = false."
  value       = var.create_trail ? aws_cloudwatch_log_group.trail[0].name : local.watched_log_group_name
}

output "log_group_arn" {
  description = "ARN of that log group (without the \":*\" suffix)."
  value       = var.create_trail ? aws_cloudwatch_log_group.trail[0].arn : local.watched_log_group_arn
}

output "lambda_function_name" {
  description = "Name of the alerting Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "lambda_function_arn" {
  description = "ARN of the alerting Lambda function."
  value       = aws_lambda_function.this.arn
}

output "lambda_role_arn" {
  description = "ARN of the function's execution role (to grant it your own webhook parameter's key, for example)."
  value       = aws_iam_role.lambda.arn
}

output "lambda_log_group_name" {
  description = "Name of the function's own log group (decision counts, delivery errors)."
  value       = aws_cloudwatch_log_group.lambda.name
}

output "on_failure_queue_arn" {
  description = "ARN of the SQS queue that keeps payloads whose alerts could not be delivered (the function's on-failure destination). Renamed from dead_letter_queue_arn."
  value       = aws_sqs_queue.this.arn
}

output "on_failure_queue_url" {
  description = "URL of the on-failure queue, for `python -m access_alerts redrive`. Renamed from dead_letter_queue_url."
  value       = aws_sqs_queue.this.url
}

output "lambda_configuration" {
  description = "The configuration document the function reads (docs/configuration-document.md); `terraform output -json lambda_configuration > cfg.json` gives `replay --config cfg.json` the same decisions."
  value       = local.configuration
}

output "configuration_ssm_parameter_names" {
  description = "The SecureString parameters holding the configuration document (base64 gzip JSON), in the order the function joins them: the parts in use of the module's 8 (the rest hold \"unused\")."
  value       = slice(aws_ssm_parameter.configuration[*].name, 0, local.configuration_part_count)
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the trail logs, log groups, queue and parameters (created by the module unless kms_key_arn was given)."
  value       = local.kms_key_arn
}

output "webhook_ssm_parameter_name" {
  description = "Name of the SecureString parameter the function reads the shorthand webhook URL (the destination named default) from; null without the shorthand."
  value       = local.webhook_parameter_name
}

output "key_hash_ssm_parameter_name" {
  description = "Name of the SecureString parameter with the HMAC secret for key_values = \"hash\" (null otherwise)."
  value       = var.key_values == "hash" ? local.key_hash_parameter_name : null
}

output "monitored_table_arns" {
  description = "Every watched table as an ARN, sorted, as the configuration document lists them; a family ends in `*` (the trail selects it with resources.ARN starts_with the part before the `*`). The trail's selector also lists the canary's table (see the canary output)."
  value       = local.watched_table_arns
}

output "selector_exclusion_prefixes" {
  description = "userIdentity.arn prefixes left out of the trail (allowed roles excluded at source: not logged, not billed, not in S3)."
  value       = module.selectors.exclusion_prefixes
}

output "allowed_patterns_decided_by_lambda" {
  description = "allowed_role_arns entries that are not excluded at the trail (paths, wildcards, users, services, or exclusion switched off): logged and billed, then allowed by the Lambda. A stream consumer's role here costs about 10 million data events a month per shard: write it as role/NAME or role/PREFIX* without a path."
  value       = module.selectors.not_excluded_patterns
}

output "advanced_event_selectors" {
  description = "The trail's advanced event selectors as planned (name and field selectors), in the shape of the aws_cloudtrail resource's advanced_event_selector blocks. With create_trail = false: what the existing trail needs (see required_advanced_event_selectors)."
  value       = module.selectors.advanced_event_selectors
}

output "multi_region_reason" {
  description = "Why the trail is multi-Region (a watched table outside the provider's Region), or null when it is single-Region. With create_trail = false: why the existing trail must be multi-Region."
  value       = module.selectors.multi_region_reason
}

output "watched_regions" {
  description = "Regions of the watched tables, sorted; the function and its log group receive all of them in the provider's Region."
  value       = module.selectors.table_regions
}

output "required_advanced_event_selectors" {
  description = "The same selectors as JSON in the CloudTrail API's form, for `aws cloudtrail put-event-selectors --trail-name TRAIL --advanced-event-selectors \"$(terraform output -raw required_advanced_event_selectors)\"`: exactly what the module's own trail uses. With create_trail = false the existing trail's owner adds them to the trail's own selectors (put-event-selectors replaces all of them: merge first)."
  value       = local.required_advanced_event_selectors
}

output "selector_value_count" {
  description = "Number of values in the trail's selectors, out of CloudTrail's limit of 500 per trail."
  value       = module.selectors.value_count
}

output "subscription_filter_pattern" {
  description = "The CloudWatch Logs filter pattern that decides which log events wake the function (empty: all)."
  value       = local.subscription_filter_pattern
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms on undelivered alerts, on function errors and (with the canary) on a silent canary."
  value = concat(
    [aws_cloudwatch_metric_alarm.queue.alarm_name, aws_cloudwatch_metric_alarm.errors.alarm_name],
    aws_cloudwatch_metric_alarm.canary[*].alarm_name,
  )
}

output "canary" {
  description = "The end-to-end canary (docs/canary.md): its table, role, schedule, alarm, interval and alarm window in minutes; null when canary_interval_minutes = 0."
  value = local.canary_enabled ? {
    table_name       = aws_dynamodb_table.canary[0].name
    role_arn         = aws_iam_role.canary[0].arn
    schedule_name    = aws_scheduler_schedule.canary[0].name
    alarm_name       = aws_cloudwatch_metric_alarm.canary[0].alarm_name
    interval_minutes = var.canary_interval_minutes
    alarm_minutes    = local.canary_alarm_minutes
  } : null
}

output "alarm_actions_missing" {
  description = "True when alarm_actions is empty: the alarms change state but notify nobody (the plan also warns)."
  value       = length(var.alarm_actions) == 0
}

output "routing_summary" {
  description = "Per destination: its type, whether it is a default destination, the routes that name it, and in words what reaches it."
  value       = local.routing_summary
}

output "ledger_table_name" {
  description = "Name of the delivery ledger, the DynamoDB table in which the function remembers what each destination received and counts alerts in digest windows."
  value       = aws_dynamodb_table.ledger.name
}
