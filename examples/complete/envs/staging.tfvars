# Staging: one table, writes only, values shown as logged, a webhook URL passed at apply time:
#   export TF_VAR_slack_webhook_url='https://hooks.slack.com/services/...'   # never committed
#   terraform apply -var-file=envs/staging.tfvars
environment = "staging"
region      = "us-east-1"

table_names = ["orders-staging"]

allowed_role_arns = [
  "arn:aws:iam::123456789012:role/orders-service-staging",
  # Any role of the developers' sandbox account.
  "arn:aws:iam::210987654321:role/*",
]

allowed_management_role_arns = [
  "arn:aws:iam::123456789012:role/platform-deployer",
  "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_Admin_*",
]

key_values            = "show"
track_reads           = false
log_retention_in_days = 30
force_destroy         = true
