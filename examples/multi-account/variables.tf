variable "environment" {
  description = "Environment name (prod, staging): part of both deployments' names, of the account names shown in alerts, and a default tag."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.environment))
    error_message = "environment must be 2-16 lowercase letters, digits and hyphens."
  }
}

variable "region" {
  description = "AWS Region of the watched tables, in both accounts."
  type        = string
  default     = "us-east-1"
}

variable "payments" {
  description = "The payments account: its ID, the role Terraform assumes there, the tables to watch and their allow-lists (see the module's README), and the SNS topics its alarms notify."
  type = object({
    account_id                   = string
    deployment_role_arn          = string
    table_names                  = list(string)
    allowed_role_arns            = optional(list(string), [])
    allowed_management_role_arns = optional(list(string), [])
    alarm_actions                = optional(list(string), [])
  })
  nullable = false

  validation {
    condition     = can(regex("^[0-9]{12}$", var.payments.account_id)) && try(split(":", var.payments.deployment_role_arn)[4] == var.payments.account_id && startswith(var.payments.deployment_role_arn, "arn:"), false)
    error_message = "payments.account_id must be a 12-digit account ID and payments.deployment_role_arn a role ARN in that account."
  }
}

variable "orders" {
  description = "The orders account, shaped like payments."
  type = object({
    account_id                   = string
    deployment_role_arn          = string
    table_names                  = list(string)
    allowed_role_arns            = optional(list(string), [])
    allowed_management_role_arns = optional(list(string), [])
    alarm_actions                = optional(list(string), [])
  })
  nullable = false

  validation {
    condition     = can(regex("^[0-9]{12}$", var.orders.account_id)) && try(split(":", var.orders.deployment_role_arn)[4] == var.orders.account_id && startswith(var.orders.deployment_role_arn, "arn:"), false)
    error_message = "orders.account_id must be a 12-digit account ID and orders.deployment_role_arn a role ARN in that account."
  }
}

variable "slack_webhook_url" {
  description = "The Slack incoming webhook both deployments post to (pass it as TF_VAR_slack_webhook_url; never commit it)."
  type        = string
  sensitive   = true
  nullable    = false
}

variable "key_values" {
  description = "show, hash or hide primary-key values in alerts (both deployments)."
  type        = string
  default     = "hash"
}

variable "force_destroy" {
  description = "Let destroy delete the trail buckets with their log files (never in production)."
  type        = bool
  default     = false
}
