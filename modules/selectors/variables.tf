# Inputs of the selector computation. Plain values only (no provider data sources), so a caller that has
# no AWS provider (a test, an org-level stack that outputs selectors for someone else's trail) gets the
# same selectors as the root module. The root module passes its own variables through unchanged; the
# checks that need several inputs at once (ARN partition/account, at least one table) live in the root.

variable "partition" {
  description = "Partition of the account the trail runs in: aws, aws-cn or aws-us-gov."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["aws", "aws-cn", "aws-us-gov"], var.partition)
    error_message = "partition must be aws, aws-cn or aws-us-gov."
  }
}

variable "account_id" {
  description = "12-digit id of the account the watched tables (given by name) live in."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "region" {
  description = "Home Region: where the trail, its log group and the function live, and where table_names are."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$", var.region))
    error_message = "region must be a Region name such as us-east-1."
  }
}

variable "table_names" {
  description = "Table names in the home account and Region; an entry ending in `*` is a family (every table whose name starts with what precedes the `*`)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for t in var.table_names : can(regex("^([A-Za-z0-9_.-]{3,255}|[A-Za-z0-9_.-]{1,254}[*])$", t))])
    error_message = "Every table_names entry must be a table name (3-255 of letters, digits, '_', '-', '.') or a family: a non-empty name prefix followed by one `*` (tenant-*)."
  }
}

variable "table_arns" {
  description = "Full table ARNs (arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME), also ending in `*` for a family; tables in other Regions make the trail multi-Region."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.table_arns : can(regex("^arn:(aws|aws-cn|aws-us-gov):dynamodb:[a-z]{2}(-[a-z]+)+-[0-9]{1,2}:[0-9]{12}:table/([A-Za-z0-9_.-]{3,255}|[A-Za-z0-9_.-]{1,254}[*])$", a))])
    error_message = "Every table_arns entry must be a DynamoDB table ARN, arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME, or a family ARN ending in NAMEPREFIX* (not an index, stream or backup ARN)."
  }
}

variable "allowed_role_arns" {
  description = "The data allow-list (patterns in the Lambda's syntax). Entries with an exact trail form become userIdentity.arn exclusions."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "exclude_allowed_roles_at_source" {
  description = "Turn exactly expressible role entries of allowed_role_arns into userIdentity.arn not_starts_with exclusions."
  type        = bool
  default     = true
  nullable    = false
}

variable "track_reads" {
  description = "Log reads as well as writes. Off: readOnly = false (stream reads are reads, so they are left out too)."
  type        = bool
  default     = true
  nullable    = false
}

variable "track_stream_reads" {
  description = "Log stream reads (rules.json dynamodb.stream_read_apis) of the watched tables. Off (with track_reads on): an eventName not_equals condition leaves them out."
  type        = bool
  default     = true
  nullable    = false
}

variable "include_management_events" {
  description = "Add the selector for write management events (tamper and table control-plane alerts)."
  type        = bool
  default     = true
  nullable    = false
}

variable "rules" {
  description = "The decoded lambda_src/access_alerts/rules.json (jsondecode(file(...))); only dynamodb.stream_read_apis is read."
  type = object({
    dynamodb = object({
      stream_read_apis = list(string)
    })
  })
  nullable = false

  validation {
    condition     = length(var.rules.dynamodb.stream_read_apis) > 0
    error_message = "rules.dynamodb.stream_read_apis must list the stream read APIs (GetRecords, GetShardIterator)."
  }
}
