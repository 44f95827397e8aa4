# One module block serving several environments: `terraform apply -var-file=envs/prod.tfvars` (or
# envs/staging.tfvars, with TF_VAR_slack_webhook_url exported; no secret is committed).

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

module "dynamodb_access_alerts" {
  source = "../../"

  name        = "ddb-alerts-${var.environment}"
  table_names = var.table_names
  table_arns  = var.table_arns

  allowed_role_arns               = var.allowed_role_arns
  allowed_management_role_arns    = var.allowed_management_role_arns
  exclude_allowed_roles_at_source = true
  track_reads                     = var.track_reads
  track_stream_reads              = var.track_stream_reads

  slack_webhook_url                    = var.slack_webhook_url
  slack_webhook_url_ssm_parameter_name = var.slack_webhook_url_ssm_parameter_name
  key_values                           = var.key_values

  destinations = {
    for name, d in var.destinations : name => d.type == "slack_app" && var.slack_api_url != null ? merge(d, { api_url = var.slack_api_url }) : d
  }
  routes               = var.routes
  default_destinations = var.default_destinations

  log_retention_in_days = var.log_retention_in_days
  force_destroy         = var.force_destroy
  alarm_actions         = var.alarm_actions

  tags = {
    Team = "platform"
  }
}
