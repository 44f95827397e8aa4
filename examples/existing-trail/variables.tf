variable "region" {
  description = "AWS Region of the existing trail's log group (the trail's home Region) and of the watched tables."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of this deployment (function, queue, parameters, alarms)."
  type        = string
}

variable "table_names" {
  description = "DynamoDB tables to watch."
  type        = list(string)
}

variable "table_arns" {
  description = "Tables by ARN: other Regions' and, when the existing trail is the organization trail, member accounts' tables."
  type        = list(string)
  default     = []
}

variable "account_names" {
  description = "Account ID -> friendly name, shown beside the account in alerts."
  type        = map(string)
  default     = {}
}

variable "existing_log_group_name" {
  description = "Log group the existing trail writes to (aws cloudtrail describe-trails: CloudWatchLogsLogGroupArn)."
  type        = string
}

variable "existing_trail_arn" {
  description = "ARN of the existing trail, so that changes to it raise tamper alerts. Null: not watched."
  type        = string
  default     = null
}

variable "existing_log_group_kms_key_arn" {
  description = "KMS key of the existing log group, if it has one, so that disabling it raises a tamper alert."
  type        = string
  default     = null
}

variable "allowed_role_arns" {
  description = "Roles allowed to read and write items (see the module's README)."
  type        = list(string)
  default     = []
}

variable "allowed_management_role_arns" {
  description = "Roles allowed to change the pipeline and the tables' settings (the deployment role)."
  type        = list(string)
  default     = []
}

variable "alarm_actions" {
  description = "SNS topics notified by the module's alarms (undelivered alerts, function errors, canary silence)."
  type        = list(string)
}

variable "slack_webhook_url_ssm_parameter_name" {
  description = "SecureString parameter you manage that holds the webhook URL."
  type        = string
}
