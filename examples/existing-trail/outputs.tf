output "required_advanced_event_selectors" {
  description = "Selectors the existing trail must have, as JSON for aws cloudtrail put-event-selectors (merge with the trail's own first)."
  value       = module.dynamodb_access_alerts.required_advanced_event_selectors
}

output "selector_value_count" {
  description = "Values these selectors add to the trail's 500."
  value       = module.dynamodb_access_alerts.selector_value_count
}

output "trail_arn" {
  description = "The existing trail (null when existing_trail_arn was not given)."
  value       = module.dynamodb_access_alerts.trail_arn
}

output "log_group_name" {
  description = "The existing log group the function is subscribed to."
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

output "on_failure_queue_url" {
  description = "On-failure queue URL (for redrive)."
  value       = module.dynamodb_access_alerts.on_failure_queue_url
}

output "lambda_configuration" {
  description = "The configuration document the function reads."
  value       = module.dynamodb_access_alerts.lambda_configuration
}
