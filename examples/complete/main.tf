# One module block serving several environments: `terraform apply -var-file=envs/prod.tfvars` (or
# envs/staging.tfvars, with TF_VAR_slack_webhook_url exported; no secret is committed).

provider "aws" {
  region = var.region

  # Against an emulator (moto on 127.0.0.1 in this repository's tests and demo), set aws_endpoint_url
  # (e.g. TF_VAR_aws_endpoint_url=http://127.0.0.1:5000) and dummy credentials; nothing in this file needs
  # editing. Unset (the default), the provider talks to AWS as usual.
  skip_credentials_validation = var.aws_endpoint_url != null
  skip_requesting_account_id  = false
  skip_metadata_api_check     = var.aws_endpoint_url != null
  skip_region_validation      = var.aws_endpoint_url != null
  s3_use_path_style           = var.aws_endpoint_url != null

  endpoints {
    cloudtrail     = var.aws_endpoint_url
    cloudwatch     = var.aws_endpoint_url
    cloudwatchlogs = var.aws_endpoint_url
    dynamodb       = var.aws_endpoint_url
    iam            = var.aws_endpoint_url
    kms            = var.aws_endpoint_url
    lambda         = var.aws_endpoint_url
    s3             = var.aws_endpoint_url
    sns            = var.aws_endpoint_url
    sqs            = var.aws_endpoint_url
    ssm            = var.aws_endpoint_url
    sts            = var.aws_endpoint_url
  }

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

  allowed_role_arns               = var.allowed_role_arns
  allowed_management_role_arns    = var.allowed_management_role_arns
  exclude_allowed_roles_at_source = true
  track_reads                     = var.track_reads

  slack_webhook_url                    = var.slack_webhook_url
  slack_webhook_url_ssm_parameter_name = var.slack_webhook_url_ssm_parameter_name
  key_values                           = var.key_values

  log_retention_in_days = var.log_retention_in_days
  force_destroy         = var.force_destroy
  alarm_actions         = var.alarm_actions

  tags = {
    Team = "platform"
  }
}
