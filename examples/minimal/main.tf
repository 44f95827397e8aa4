# The smallest useful call: one table, one service role that may use it, and a webhook URL kept in a
# SecureString parameter you already manage. Everything else has a safe default (reads tracked, allowed
# role excluded at the trail, tamper and control-plane alerts on, key values shown, a new KMS key).

provider "aws" {} # Region and credentials from the environment (AWS_REGION, AWS_PROFILE, ...)

module "dynamodb_access_alerts" {
  source = "../../"

  name                                 = "orders-access-alerts"
  table_names                          = ["orders"]
  allowed_role_arns                    = ["arn:aws:iam::123456789012:role/orders-service"]
  slack_webhook_url_ssm_parameter_name = "/slack/orders-access-alerts-webhook"
}

output "lambda_function_name" {
  description = "The alerting function."
  value       = module.dynamodb_access_alerts.lambda_function_name
}
