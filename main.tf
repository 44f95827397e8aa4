# dynamodb-access-alerts: alert (Slack webhook) when anyone other than allowed roles reads or changes items
# in watched DynamoDB tables, or tampers with the alerting itself.
#
# The module is split by concern:
#   locals.tf  names, ARNs and the subscription pattern
#   selectors.tf  feeds modules/selectors (provider-free): table ARNs, families, Regions, trail selectors,
#              source-level exclusions, the value count
#   trail.tf   CloudTrail trail + its log group + the role CloudTrail writes that log group with
#   bucket.tf  the hardened S3 bucket every trail needs
#   kms.tf     the customer-managed key and its policy (unless var.kms_key_arn is given)
#   configuration.tf  the function's configuration document (SSM SecureString) and its plan view
#   lambda.tf  the function, its role, log group, async invoke config and the subscription filter
#   queue.tf   the on-failure queue and the two alarms on it and on function errors
#   canary.tf  the end-to-end canary (schedule, role, table) and its alarm; the alarm_actions check
#   ledger.tf  the delivery ledger (DynamoDB) and the schedule that flushes its digest windows
#   ssm.tf     the webhook URL and the key-hash secret as SecureString parameters
#
# Data flow and the three filtering layers (trail selectors, subscription pattern, Lambda): docs/design.md
# and ../shared/design.md; usage notes and provider support: docs/terraform.md.
