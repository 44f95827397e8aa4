# A platform team already runs a trail that sends its events to a CloudWatch Logs log group in this
# account and Region. This deployment creates no trail, bucket or trail log group: it subscribes to that
# log group (one subscription filter; a log group takes at most 2) and says which selectors the trail
# must have, for the trail's owner to add (output required_advanced_event_selectors).
#
# When that trail is the organization trail (this is then the management account, which holds its log
# group), table_arns may name member accounts' tables, and account_names puts their names in the alerts.
#
#   terraform apply -var-file=example.tfvars
#   terraform output -raw required_advanced_event_selectors   # hand this to the trail's owner

provider "aws" {
  region = var.region
}

module "dynamodb_access_alerts" {
  source = "../../"

  name          = var.name
  table_names   = var.table_names
  table_arns    = var.table_arns
  account_names = var.account_names

  create_trail                   = false
  existing_log_group_name        = var.existing_log_group_name
  existing_trail_arn             = var.existing_trail_arn
  existing_log_group_kms_key_arn = var.existing_log_group_kms_key_arn

  allowed_role_arns                    = var.allowed_role_arns
  allowed_management_role_arns         = var.allowed_management_role_arns
  slack_webhook_url_ssm_parameter_name = var.slack_webhook_url_ssm_parameter_name
  alarm_actions                        = var.alarm_actions

  tags = {
    Team = "platform"
  }
}
