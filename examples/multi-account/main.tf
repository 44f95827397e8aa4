# Two accounts, no organization trail: one root configuration deploys the module into each account through
# its own provider (one module block per account). Each deployment has its own trail, function and
# tables, with its own allow-lists, and both post to the same Slack channel; account_names makes every
# alert say which account it comes from.
#
#   export TF_VAR_slack_webhook_url='https://hooks.slack.com/services/...'   # never committed
#   terraform apply -var-file=envs/prod.tfvars
#
# The credentials Terraform runs with must be allowed to assume both deployment roles. allowed_account_ids
# makes a provider refuse to act in any other account (a wrong role ARN fails the plan, not the apply).

provider "aws" {
  alias  = "payments"
  region = var.region

  assume_role {
    role_arn     = var.payments.deployment_role_arn
    session_name = "dynamodb-access-alerts"
  }
  allowed_account_ids = [var.payments.account_id]

  default_tags {
    tags = {
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

provider "aws" {
  alias  = "orders"
  region = var.region

  assume_role {
    role_arn     = var.orders.deployment_role_arn
    session_name = "dynamodb-access-alerts"
  }
  allowed_account_ids = [var.orders.account_id]

  default_tags {
    tags = {
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

locals {
  # Shown beside the account ID in both deployments' alerts.
  account_names = {
    (var.payments.account_id) = "payments-${var.environment}"
    (var.orders.account_id)   = "orders-${var.environment}"
  }
}

module "payments" {
  source    = "../../"
  providers = { aws = aws.payments }

  name        = "ddb-alerts-payments-${var.environment}"
  table_names = var.payments.table_names

  allowed_role_arns            = var.payments.allowed_role_arns
  allowed_management_role_arns = var.payments.allowed_management_role_arns
  account_names                = local.account_names

  # The same Slack channel for both: each deployment keeps its own copy of the URL in a SecureString
  # parameter of its account (a function reads parameters of its own account only).
  slack_webhook_url = var.slack_webhook_url
  key_values        = var.key_values
  alarm_actions     = var.payments.alarm_actions
  force_destroy     = var.force_destroy

  tags = {
    Team = "payments"
  }
}

module "orders" {
  source    = "../../"
  providers = { aws = aws.orders }

  name        = "ddb-alerts-orders-${var.environment}"
  table_names = var.orders.table_names

  allowed_role_arns            = var.orders.allowed_role_arns
  allowed_management_role_arns = var.orders.allowed_management_role_arns
  account_names                = local.account_names

  slack_webhook_url = var.slack_webhook_url
  key_values        = var.key_values
  alarm_actions     = var.orders.alarm_actions
  force_destroy     = var.force_destroy

  tags = {
    Team = "orders"
  }
}
