output "trail_arn" {
  description = "ARN of the trail."
  value       = module.dynamodb_access_alerts.trail_arn
}

output "trail_bucket_name" {
  description = "Bucket with the trail's log files."
  value       = module.dynamodb_access_alerts.trail_bucket_name
}

output "log_group_name" {
  description = "Log group the trail writes to."
  value       = module.dynamodb_access_alerts.log_group_name
}

output "lambda_function_name" {
  description = "Alerting function."
  value       = module.dynamodb_access_alerts.lambda_function_name
}

output "lambda_function_arn" {
  description = "ARN of the alerting function."
  value       = module.dynamodb_access_alerts.lambda_function_arn
}

output "lambda_log_group_name" {
  description = "The function's own log group."
  value       = module.dynamodb_access_alerts.lambda_log_group_name
}

output "on_failure_queue_arn" {
  description = "On-failure queue ARN."
  value       = module.dynamodb_access_alerts.on_failure_queue_arn
}

output "on_failure_queue_url" {
  description = "On-failure queue URL (for redrive)."
  value       = module.dynamodb_access_alerts.on_failure_queue_url
}

output "kms_key_arn" {
  description = "Key encrypting the pipeline's data."
  value       = module.dynamodb_access_alerts.kms_key_arn
}

output "webhook_ssm_parameter_name" {
  description = "Parameter the function reads the webhook URL from."
  value       = module.dynamodb_access_alerts.webhook_ssm_parameter_name
}

output "key_hash_ssm_parameter_name" {
  description = "Parameter with the key-hash secret (key_values = hash)."
  value       = module.dynamodb_access_alerts.key_hash_ssm_parameter_name
}

output "monitored_table_arns" {
  description = "Watched table ARNs."
  value       = module.dynamodb_access_alerts.monitored_table_arns
}

output "selector_exclusion_prefixes" {
  description = "Sessions left out of the trail."
  value       = module.dynamodb_access_alerts.selector_exclusion_prefixes
}

output "allowed_patterns_decided_by_lambda" {
  description = "Allowed patterns the Lambda decides."
  value       = module.dynamodb_access_alerts.allowed_patterns_decided_by_lambda
}

output "advanced_event_selectors" {
  description = "The trail's selectors."
  value       = module.dynamodb_access_alerts.advanced_event_selectors
}

output "subscription_filter_pattern" {
  description = "Filter pattern of the subscription."
  value       = module.dynamodb_access_alerts.subscription_filter_pattern
}

output "alarm_names" {
  description = "Alarm names."
  value       = module.dynamodb_access_alerts.alarm_names
}

output "lambda_configuration" {
  description = "The function's configuration document: `terraform output -json lambda_configuration > cfg.json`, then `replay --config cfg.json`."
  value       = module.dynamodb_access_alerts.lambda_configuration
}

output "routing_summary" {
  description = "What reaches each destination."
  value       = module.dynamodb_access_alerts.routing_summary
}

output "canary" {
  description = "The end-to-end canary (table, role, schedule, alarm, interval and window in minutes); null when off."
  value       = module.dynamodb_access_alerts.canary
}

output "ledger_table_name" {
  description = "The delivery ledger's DynamoDB table (receipts and digest windows)."
  value       = module.dynamodb_access_alerts.ledger_table_name
}

output "multi_region_reason" {
  description = "Why the trail is multi-Region (null when it is not)."
  value       = module.dynamodb_access_alerts.multi_region_reason
}

output "selector_value_count" {
  description = "Selector values used, out of CloudTrail's 500 per trail."
  value       = module.dynamodb_access_alerts.selector_value_count
}

output "configuration_ssm_parameter_names" {
  description = "The SSM parameters holding the function's configuration document, in order (the parts in use)."
  value       = module.dynamodb_access_alerts.configuration_ssm_parameter_names
}
