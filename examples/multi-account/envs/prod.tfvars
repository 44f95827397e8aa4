# Production: the payments and orders accounts, each with its own tables and allow-lists, one Slack channel.
#   export TF_VAR_slack_webhook_url='https://hooks.slack.com/services/...'
#   terraform apply -var-file=envs/prod.tfvars
environment = "prod"
region      = "us-east-1"
key_values  = "hash"

payments = {
  account_id          = "111122223333"
  deployment_role_arn = "arn:aws:iam::111122223333:role/platform-deployer"
  table_names         = ["payments", "refunds"]
  allowed_role_arns = [
    "arn:aws:iam::111122223333:role/payments-api",
    "arn:aws:iam::111122223333:role/refunds-worker-*",
  ]
  allowed_management_role_arns = ["arn:aws:iam::111122223333:role/platform-deployer"]
  alarm_actions                = ["arn:aws:sns:us-east-1:111122223333:payments-oncall"]
}

orders = {
  account_id          = "444455556666"
  deployment_role_arn = "arn:aws:iam::444455556666:role/platform-deployer"
  table_names         = ["orders", "carts"]
  allowed_role_arns = [
    "arn:aws:iam::444455556666:role/orders-service",
    "arn:aws:iam::444455556666:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_ReadOnly_*",
  ]
  allowed_management_role_arns = ["arn:aws:iam::444455556666:role/platform-deployer"]
  alarm_actions                = ["arn:aws:sns:us-east-1:444455556666:orders-oncall"]
}
