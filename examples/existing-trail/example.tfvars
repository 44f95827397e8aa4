# The platform team's trail "platform" writes to /platform/cloudtrail in this account; its owner adds the
# selectors of required_advanced_event_selectors to it.
region = "us-east-1"
name   = "ddb-alerts-shared"

table_names = ["ledger", "accounts"]

# The platform trail is the organization trail, and this is the management account: a member account's
# table can be watched too, and alerts name its account.
table_arns    = ["arn:aws:dynamodb:us-east-1:210987654321:table/payments"]
account_names = { "210987654321" = "payments-prod" }

existing_log_group_name = "/platform/cloudtrail"
existing_trail_arn      = "arn:aws:cloudtrail:us-east-1:123456789012:trail/platform"

allowed_role_arns = [
  "arn:aws:iam::123456789012:role/ledger-service",
]

allowed_management_role_arns = [
  "arn:aws:iam::123456789012:role/platform-deployer",
]

slack_webhook_url_ssm_parameter_name = "/platform/shared/dynamodb-access-alerts/slack-webhook"
alarm_actions                        = ["arn:aws:sns:us-east-1:123456789012:platform-oncall"]
