variable "environment" {
  description = "Environment name (prod, staging): part of the deployment name and a default tag."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.environment))
    error_message = "environment must be 2-16 lowercase letters, digits and hyphens."
  }
}

variable "region" {
  description = "AWS Region of the watched tables."
  type        = string
  default     = "us-east-1"
}

variable "table_names" {
  description = "DynamoDB tables to watch in var.region, by name; NAMEPREFIX* is a family (every table whose name starts with NAMEPREFIX)."
  type        = list(string)
}

variable "table_arns" {
  description = "DynamoDB tables to watch by ARN, e.g. global table replicas in other Regions (the trail becomes multi-Region)."
  type        = list(string)
  default     = []
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

variable "track_reads" {
  description = "Alert on reads too, not only writes."
  type        = bool
  default     = true
}

variable "track_stream_reads" {
  description = "Alert on stream reads (GetRecords, GetShardIterator) too; exclude stream consumers' roles (see the module's README, Large estates)."
  type        = bool
  default     = true
}

variable "slack_webhook_url" {
  description = "Webhook URL (pass it as TF_VAR_slack_webhook_url; never commit it). Null when the parameter below is used."
  type        = string
  default     = null
  sensitive   = true
}

variable "slack_webhook_url_ssm_parameter_name" {
  description = "SecureString parameter you manage that holds the webhook URL. Null when slack_webhook_url is used."
  type        = string
  default     = null
}

variable "key_values" {
  description = "show, hash or hide primary-key values in alerts."
  type        = string
  default     = "show"
}

variable "log_retention_in_days" {
  description = "Retention of the trail's log group."
  type        = number
  default     = 90
}

variable "force_destroy" {
  description = "Let destroy delete the trail bucket with its log files."
  type        = bool
  default     = false
}

variable "alarm_actions" {
  description = "SNS topics for the alarms."
  type        = list(string)
  default     = []
}

variable "destinations" {
  description = "Destinations besides the webhook above (named default), see the module's docs/destinations.md: secrets are SSM parameter names."
  type = map(object({
    type              = string
    url_parameter     = optional(string)
    token_parameter   = optional(string)
    secret_parameter  = optional(string)
    channel           = optional(string)
    mention_on_tamper = optional(bool)
    api_url           = optional(string)
    topic_arn         = optional(string)
    kms_key_arn       = optional(string)
  }))
  default = {}
}

variable "routes" {
  description = "Which alerts go to which destinations (tables, kinds, access, accounts)."
  type = list(object({
    name         = string
    tables       = optional(list(string), [])
    kinds        = optional(list(string), [])
    access       = optional(list(string), [])
    accounts     = optional(list(string), [])
    destinations = list(string)
  }))
  default = []
}

variable "default_destinations" {
  description = "Where alerts no route matches, and every tamper alert, go."
  type        = list(string)
  default     = ["default"]
}

variable "slack_api_url" {
  description = "chat.postMessage endpoint for the slack_app destinations: null for slack.com; GovSlack's, or a local stand-in in tests."
  type        = string
  default     = null
}
