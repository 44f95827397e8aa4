# Production: three tables and a family of per-tenant tables, the orders table's global-table replica in
# eu-west-1 (so the trail is multi-Region), service roles and the orders stream consumer excluded at the
# trail, people through SSO decided by the Lambda, key values hashed. The webhook URL lives in a
# SecureString parameter the platform team manages.
environment = "prod"
region      = "us-east-1"

# tenant-*: every table whose name starts with "tenant-", now and later, for one selector value.
table_names = ["orders", "payments", "customers", "tenant-*"]
# The replica of the orders global table in eu-west-1.
table_arns = ["arn:aws:dynamodb:eu-west-1:123456789012:table/orders"]

allowed_role_arns = [
  # Exact role: excluded at the trail (prefix arn:aws:sts::123456789012:assumed-role/orders-service/).
  "arn:aws:iam::123456789012:role/orders-service",
  # Trailing wildcard: excluded at the trail (prefix .../assumed-role/payments-worker-).
  "arn:aws:iam::123456789012:role/payments-worker-*",
  # The Lambda that consumes the orders table's stream: it polls each shard about 4 times a second, so it
  # must be excluded at the trail (exact role, no path) or it costs about 10 million events a month a shard.
  "arn:aws:iam::123456789012:role/orders-stream-consumer",
  # Role with a path: the trail cannot express it exactly; the Lambda allows it.
  "arn:aws:iam::123456789012:role/service-role/customers-sync",
  # SSO read-only permission set, any suffix: decided by the Lambda.
  "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_ReadOnly_*",
  # DynamoDB itself (global tables replication, TTL-related calls): decided by the Lambda.
  "dynamodb.amazonaws.com",
]

allowed_management_role_arns = [
  "arn:aws:iam::123456789012:role/platform-deployer",
]

slack_webhook_url_ssm_parameter_name = "/platform/prod/dynamodb-access-alerts/slack-webhook"
key_values                           = "hash"
track_reads                          = true
log_retention_in_days                = 365
force_destroy                        = false
alarm_actions                        = ["arn:aws:sns:us-east-1:123456789012:platform-oncall"]

# Besides the webhook (the destination named default, which a route sends everything to): the on-call
# channel through a Slack app (tamper alerts with @here), the orders team's Teams channel and the SIEM for
# writes to the orders table, and the on-call SNS topic for tamper and control-plane alerts.
destinations = {
  oncall = { type = "slack_app", token_parameter = "/platform/prod/dynamodb-access-alerts/slack-bot-token", channel = "C0LOCALTEST", mention_on_tamper = true }
  orders = { type = "teams", url_parameter = "/orders/prod/teams-workflow-url" }
  siem   = { type = "webhook", url_parameter = "/security/prod/siem-url", secret_parameter = "/security/prod/siem-signing-secret" }
  pager  = { type = "sns", topic_arn = "arn:aws:sns:us-east-1:123456789012:platform-oncall" }
}
routes = [
  { name = "everything", destinations = ["default"] },
  { name = "orders-writes", tables = ["orders"], access = ["write"], destinations = ["orders", "siem"] },
  { name = "pipeline-and-tables", kinds = ["tamper", "control_plane"], destinations = ["pager", "oncall"] },
]
default_destinations = ["default", "oncall"]
