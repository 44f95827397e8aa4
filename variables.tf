# Inputs of the module.
#
# Allow-list patterns (allowed_role_arns, allowed_management_role_arns) use the syntax the Lambda reads
# (docs/allow-list.md): IAM-style ARNs with `*` wildcards or an AWS service principal name. Their shapes
# live in one place, lambda_src/access_alerts/rules.json, which a Terraform 1.5 variable validation cannot
# read: configuration.tf checks them in a precondition, so a typo still fails at plan time instead of
# silently allowing nothing. The validations here check only what needs no rules (empty or repeated entries).

# ----------------------------------------------------------------------------------------- identity

variable "name" {
  description = "Name of this deployment: used for the trail, function, queue, log groups, roles and parameters, and shown in every alert. 3-32 lowercase letters, digits and hyphens."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "The name must be 3-32 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit (it becomes part of an S3 bucket name)."
  }
}

variable "table_names" {
  description = "DynamoDB tables to watch in the provider's account and Region, by name. An entry ending in `*` is a family: every table whose name starts with the text before the `*` (tenant-*), now and later, for one selector value. Each name costs one value of CloudTrail's 500 per trail (README, Large estates)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for t in var.table_names : can(regex("^([A-Za-z0-9_.-]{3,255}|[A-Za-z0-9_.-]{1,254}[*])$", t))])
    error_message = "Every entry of table_names must be a DynamoDB table name (3-255 characters: letters, digits, '_', '-', '.'), or a family: a name prefix followed by one `*` (tenant-*). Not an ARN: tables in other Regions go in table_arns."
  }

  validation {
    condition     = length(distinct(var.table_names)) == length(var.table_names)
    error_message = "table_names lists a table more than once."
  }
}

variable "table_arns" {
  description = "DynamoDB tables to watch by ARN (arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME), for tables in other Regions such as global table replicas and, with organization_trail = true, tables of member accounts; an ARN ending in `*` is a family. A table outside the provider's Region makes the trail multi-Region (output multi_region_reason). Another account's table without an organization trail fails the plan (with create_trail = false it is accepted: the existing trail must then be an organization trail)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.table_arns : can(regex("^arn:(aws|aws-cn|aws-us-gov):dynamodb:[a-z]{2}(-[a-z]+)+-[0-9]{1,2}:[0-9]{12}:table/([A-Za-z0-9_.-]{3,255}|[A-Za-z0-9_.-]{1,254}[*])$", a))])
    error_message = "Every entry of table_arns must be a DynamoDB table ARN, arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME (Region such as eu-west-1, 12-digit account), or a family ARN ending in table/NAMEPREFIX*; not an index, stream or backup ARN."
  }

  validation {
    condition     = length(distinct(var.table_arns)) == length(var.table_arns)
    error_message = "table_arns lists a table more than once."
  }
}

# ---------------------------------------------------------------------------------------- allow-lists

variable "allowed_role_arns" {
  description = "Allow-list for data events (reads and writes of items): IAM-style ARN patterns with `*` wildcards (role, user, root, assumed-role, federated-user) or AWS service principal names. A role ARN matches its sessions with or without its path."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for p in var.allowed_role_arns : trimspace(p) == p && p != ""])
    error_message = "allowed_role_arns entries must not be empty or carry surrounding spaces."
  }

  validation {
    condition     = length(distinct(var.allowed_role_arns)) == length(var.allowed_role_arns)
    error_message = "allowed_role_arns lists a pattern more than once."
  }
}

variable "allowed_management_role_arns" {
  description = "Allow-list for tamper and table control-plane events (changes to this pipeline or to the watched tables), same syntax as allowed_role_arns. Empty: every such change alerts. Typically the role your deployments run as."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for p in var.allowed_management_role_arns : trimspace(p) == p && p != ""])
    error_message = "allowed_management_role_arns entries must not be empty or carry surrounding spaces."
  }

  validation {
    condition     = length(distinct(var.allowed_management_role_arns)) == length(var.allowed_management_role_arns)
    error_message = "allowed_management_role_arns lists a pattern more than once."
  }
}

variable "exclude_allowed_roles_at_source" {
  description = "Leave sessions of allowed roles out of the trail itself (userIdentity.arn not_starts_with) when the entry can be expressed exactly: arn:PARTITION:iam::ACCOUNT:role/NAME or role/NAMEPREFIX* with a 12-digit account and no path. Saves data-event and log-ingestion cost; those calls are then not in the trail's S3 logs either."
  type        = bool
  default     = true
  nullable    = false
}

# ------------------------------------------------------------------------------------- what is logged

variable "track_reads" {
  description = "Also log and alert on reads (GetItem, Query, Scan, ...). Off: only writes are logged (readOnly = false), which cuts data-event cost roughly by the read share of the traffic."
  type        = bool
  default     = true
  nullable    = false
}

variable "track_stream_reads" {
  description = "Also log and alert on stream reads (GetRecords, GetShardIterator) of the watched tables: reading a stream reads every changed item. A stream consumer (a Lambda event source mapping) polls each shard about 4 times a second, about 10 million events a month per shard: allow its role as arn:PARTITION:iam::ACCOUNT:role/NAME (or role/PREFIX*, no path) so the trail excludes it (output allowed_patterns_decided_by_lambda lists what is not excluded). Off: an eventName condition leaves stream calls out of the trail (2 selector values)."
  type        = bool
  default     = true
  nullable    = false
}

variable "watch_pipeline" {
  description = "Alert when anyone not in allowed_management_role_arns changes or stops this pipeline (trail, log groups, subscription, function, queue, key, parameters, bucket; the module's IAM roles too when the trail is multi-Region and so logs IAM). Adds write management events to the trail."
  type        = bool
  default     = true
  nullable    = false
}

variable "watch_table_management" {
  description = "Alert on every management write to the watched tables (DeleteTable, UpdateTable, backups, global-table replicas, restores, TTL, exports, resource policies, tags, and calls AWS adds later; also such a write whose table cannot be determined) by anyone not in allowed_management_role_arns. Adds write management events to the trail."
  type        = bool
  default     = true
  nullable    = false
}

variable "narrow_subscription_filter" {
  description = "Subscription filter lets through only DynamoDB events and, when watching, write management events of the services the pipeline is built from (see docs/terraform.md). Off: every log event wakes the Lambda, which then ignores what does not concern it."
  type        = bool
  default     = true
  nullable    = false
}

# ------------------------------------------------------------------------------------------ which trail
# The module's own trail (default), or the log group of a trail someone else runs. Combinations that
# involve several variables (existing_* only with create_trail = false, and so on) are checked in
# preconditions in trail.tf, because a Terraform 1.5 validation may read only its own variable.

variable "create_trail" {
  description = "Create the module's own CloudTrail trail, its S3 bucket and its log group (default). false: subscribe to existing_log_group_name, the log group of a trail you already run, and create no trail, bucket or trail log group; the trail's owner adds the selectors of the required_advanced_event_selectors output (see \"Using an existing or organization trail\")."
  type        = bool
  default     = true
  nullable    = false
}

variable "existing_log_group_name" {
  description = "With create_trail = false (and required then): name of the CloudWatch Logs log group your trail writes to, in the provider's account and Region. The plan fails if it does not exist. The module adds one subscription filter to it (a log group takes at most 2)."
  type        = string
  default     = null
  nullable    = true

  validation {
    condition     = var.existing_log_group_name == null || can(regex("^[A-Za-z0-9_./#-]{1,512}$", var.existing_log_group_name))
    error_message = "existing_log_group_name must be a log group name (1-512 characters: letters, digits, '_', '-', '/', '.', '#'), not an ARN."
  }
}

variable "existing_trail_arn" {
  description = "With create_trail = false: ARN of the trail that writes to existing_log_group_name, so that stopping, deleting or re-selecting it (StopLogging, DeleteTrail, PutEventSelectors, UpdateTrail) raises a tamper alert. Null: the trail is not watched."
  type        = string
  default     = null
  nullable    = true

  validation {
    condition     = var.existing_trail_arn == null || can(regex("^arn:(aws|aws-cn|aws-us-gov):cloudtrail:[a-z0-9-]+:[0-9]{12}:trail/[A-Za-z0-9._-]{3,128}$", var.existing_trail_arn))
    error_message = "existing_trail_arn must be a trail ARN: arn:PARTITION:cloudtrail:REGION:ACCOUNT:trail/NAME."
  }
}

variable "existing_log_group_kms_key_arn" {
  description = "With create_trail = false: ARN of the KMS key that encrypts existing_log_group_name, if it has one, so that disabling it or scheduling its deletion raises a tamper alert. The function needs no access to it."
  type        = string
  default     = null
  nullable    = true

  validation {
    condition     = var.existing_log_group_kms_key_arn == null || can(regex("^arn:(aws|aws-cn|aws-us-gov):kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.existing_log_group_kms_key_arn))
    error_message = "existing_log_group_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), not an alias."
  }
}

variable "organization_trail" {
  description = "Make the module's trail an organization trail: it then logs the watched tables' events in every account of the AWS Organization, so table_arns may name tables (and families) in member accounts. Apply the module in the organization's management account, where an organization trail and its log group belong, with trusted access for CloudTrail enabled; the plan checks both. Needs create_trail = true. Management events are then logged for every account too when watch_pipeline or watch_table_management is on (see \"Using an existing or organization trail\" for the cost)."
  type        = bool
  default     = false
  nullable    = false
}

# ------------------------------------------------------------------------------------------ delivery

variable "slack_webhook_url" {
  description = "Slack incoming webhook URL. Stored by the module in an SSM SecureString parameter encrypted with the module's key; never put into the Lambda environment. The shorthand for a destination named default (see destinations); set this or slack_webhook_url_ssm_parameter_name, not both, or neither when destinations is set."
  type        = string
  default     = null
  nullable    = true
  sensitive   = true

  validation {
    condition     = var.slack_webhook_url == null || can(regex("^(https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\\s]*)?|http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]{1,5})?(/[^\\s]*)?)$", var.slack_webhook_url))
    error_message = "slack_webhook_url must be an https:// URL without spaces (plain http:// is accepted only for 127.0.0.1/localhost, for local tests). The value is not shown here because it is sensitive."
  }
}

variable "slack_webhook_url_ssm_parameter_name" {
  description = "Name of an SSM SecureString parameter you manage that holds the webhook URL (e.g. /platform/prod/slack-webhook): the shorthand for a destination named default. Set this or slack_webhook_url, not both."
  type        = string
  default     = null
  nullable    = true

  validation {
    condition     = var.slack_webhook_url_ssm_parameter_name == null || can(regex("^/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", var.slack_webhook_url_ssm_parameter_name))
    error_message = "slack_webhook_url_ssm_parameter_name must be an SSM parameter name such as /platform/prod/slack-webhook (letters, digits, '_', '.', '-', separated by '/'), not an ARN."
  }
}

variable "slack_webhook_url_ssm_parameter_kms_key_arn" {
  description = "ARN of the customer-managed KMS key that encrypts the parameter named by slack_webhook_url_ssm_parameter_name, so the function may decrypt it. Null: the parameter uses the AWS managed key aws/ssm."
  type        = string
  default     = null
  nullable    = true

  validation {
    condition     = var.slack_webhook_url_ssm_parameter_kms_key_arn == null || can(regex("^arn:(aws|aws-cn|aws-us-gov):kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.slack_webhook_url_ssm_parameter_kms_key_arn))
    error_message = "slack_webhook_url_ssm_parameter_kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), not an alias."
  }
}

variable "destinations" {
  description = "Where alerts go, by name (letters, digits, _ and -): each an object with a type and the fields that type needs (docs/destinations.md). slack_webhook: url_parameter. slack_app: token_parameter, channel (a channel ID such as C0123456789), optional mention_on_tamper (@here on tamper alerts) and api_url. teams: url_parameter (a Workflows webhook). webhook: url_parameter, secret_parameter (HMAC-SHA256 signing secret). sns: topic_arn. Every secret is the name of an SSM SecureString parameter you manage, never a value. kms_key_arn (any type): the customer-managed key of the destination's parameters, or of its SNS topic, so the function may use it. slack_webhook_url and slack_webhook_url_ssm_parameter_name are the shorthand for a destination named default."
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
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for name in keys(var.destinations) : can(regex("^[A-Za-z0-9_-]{1,64}$", name))])
    error_message = "destinations: names must be 1-64 letters, digits, '_' or '-' (they appear in logs and metrics): ${jsonencode([for name in keys(var.destinations) : name if !can(regex("^[A-Za-z0-9_-]{1,64}$", name))])}."
  }

  validation {
    condition     = alltrue([for d in values(var.destinations) : contains(["slack_webhook", "slack_app", "teams", "webhook", "sns"], d.type)])
    error_message = "destinations: type must be one of slack_webhook, slack_app, teams, webhook, sns; got ${jsonencode({ for name, d in var.destinations : name => d.type if !contains(["slack_webhook", "slack_app", "teams", "webhook", "sns"], d.type) })}."
  }

  # The fields each type needs, and no field another type uses (one home with destinations.py's table).
  validation {
    condition = alltrue([for d in values(var.destinations) : (
      (d.type == "slack_webhook" ? d.url_parameter != null && d.token_parameter == null && d.secret_parameter == null && d.channel == null && d.mention_on_tamper == null && d.api_url == null && d.topic_arn == null : true) &&
      (d.type == "slack_app" ? d.token_parameter != null && d.channel != null && d.url_parameter == null && d.secret_parameter == null && d.topic_arn == null : true) &&
      (d.type == "teams" ? d.url_parameter != null && d.token_parameter == null && d.secret_parameter == null && d.channel == null && d.mention_on_tamper == null && d.api_url == null && d.topic_arn == null : true) &&
      (d.type == "webhook" ? d.url_parameter != null && d.secret_parameter != null && d.token_parameter == null && d.channel == null && d.mention_on_tamper == null && d.api_url == null && d.topic_arn == null : true) &&
      (d.type == "sns" ? d.topic_arn != null && d.url_parameter == null && d.token_parameter == null && d.secret_parameter == null && d.channel == null && d.mention_on_tamper == null && d.api_url == null : true)
    )])
    error_message = "destinations: each type takes exactly its own fields. slack_webhook: url_parameter. slack_app: token_parameter and channel (optional mention_on_tamper, api_url). teams: url_parameter. webhook: url_parameter and secret_parameter. sns: topic_arn. (kms_key_arn: any type.)"
  }

  validation {
    condition = alltrue(flatten([for d in values(var.destinations) : [
      for p in [d.url_parameter, d.token_parameter, d.secret_parameter] : can(regex("^/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$", p)) if p != null
    ]]))
    error_message = "destinations: url_parameter, token_parameter and secret_parameter must be SSM parameter names such as /team/alerts/slack-token (letters, digits, '_', '.', '-', separated by '/'), not ARNs and never the secret itself."
  }

  validation {
    condition     = alltrue([for d in values(var.destinations) : can(regex("^[A-Z][A-Z0-9]{6,}$", d.channel)) if d.channel != null])
    error_message = "destinations: channel must be a Slack channel ID such as C0123456789 (from the channel's details), not a #name."
  }

  validation {
    condition     = alltrue([for d in values(var.destinations) : can(regex("^arn:(aws|aws-cn|aws-us-gov):sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\\.fifo)?$", d.topic_arn)) if d.topic_arn != null])
    error_message = "destinations: topic_arn must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)."
  }

  validation {
    condition     = alltrue([for d in values(var.destinations) : can(regex("^arn:(aws|aws-cn|aws-us-gov):kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", d.kms_key_arn)) if d.kms_key_arn != null])
    error_message = "destinations: kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), not an alias."
  }

  validation {
    condition     = alltrue([for d in values(var.destinations) : can(regex("^(https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\\s]*)?|http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]{1,5})?(/[^\\s]*)?)$", d.api_url)) if d.api_url != null])
    error_message = "destinations: api_url must be an https:// URL such as https://slack-gov.com/api/chat.postMessage (plain http:// only on 127.0.0.1/localhost, for local tests)."
  }
}

variable "routes" {
  description = "Routing of alerts to destinations. Each route matches on tables (names or ARNs, * wildcards: orders* is a family), kinds (data, control_plane, tamper, unparseable), access (read, write) and accounts (12-digit IDs); an empty list matches everything. An alert goes to the destinations of every matching route, or to default_destinations when none matches; tamper and unparseable alerts always reach default_destinations too."
  type = list(object({
    name         = string
    tables       = optional(list(string), [])
    kinds        = optional(list(string), [])
    access       = optional(list(string), [])
    accounts     = optional(list(string), [])
    destinations = list(string)
  }))
  default  = []
  nullable = false

  validation {
    condition     = length(distinct([for r in var.routes : r.name])) == length(var.routes) && alltrue([for r in var.routes : length(trimspace(r.name)) > 0])
    error_message = "routes: every route needs a name, and names must be unique (they appear in routing_summary and the logs)."
  }

  validation {
    condition     = alltrue([for r in var.routes : length(r.destinations) > 0])
    error_message = "routes: every route must name at least one destination: ${jsonencode([for r in var.routes : r.name if length(r.destinations) == 0])}."
  }

  validation {
    condition     = alltrue(flatten([for r in var.routes : [for k in r.kinds : contains(["data", "control_plane", "tamper", "unparseable"], k)]]))
    error_message = "routes: kinds must be data, control_plane, tamper or unparseable."
  }

  validation {
    condition     = alltrue(flatten([for r in var.routes : [for a in r.access : contains(["read", "write"], a)]]))
    error_message = "routes: access must be read or write."
  }

  validation {
    condition     = alltrue(flatten([for r in var.routes : [for a in r.accounts : can(regex("^[0-9]{12}$", a))]]))
    error_message = "routes: accounts must be 12-digit AWS account IDs."
  }

  validation {
    condition     = alltrue(flatten([for r in var.routes : [for t in r.tables : length(trimspace(t)) > 0]]))
    error_message = "routes: tables must be table names or ARNs (with * wildcards), not empty strings."
  }
}

variable "default_destinations" {
  description = "Destinations of alerts no route matches, and of every tamper and unparseable alert. Default: the destination named default (what slack_webhook_url or slack_webhook_url_ssm_parameter_name creates)."
  type        = list(string)
  default     = ["default"]
  nullable    = false

  validation {
    condition     = length(var.default_destinations) > 0
    error_message = "default_destinations must name at least one destination: tamper alerts and alerts no route matches go there."
  }
}

variable "account_names" {
  description = "Friendly names of AWS accounts (12-digit account ID -> name, e.g. { \"111122223333\" = \"payments-prod\" }), shown beside the account ID in every alert. Accounts without a name are shown by ID alone."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for id in keys(var.account_names) : can(regex("^[0-9]{12}$", id))])
    error_message = "account_names keys must be 12-digit AWS account IDs: ${jsonencode([for id in keys(var.account_names) : id if !can(regex("^[0-9]{12}$", id))])}."
  }

  validation {
    condition     = alltrue([for n in values(var.account_names) : trimspace(n) == n && length(n) >= 1 && length(n) <= 64 && !can(regex("\\p{Cc}", n))])
    error_message = "account_names values must be 1-64 characters without surrounding spaces or control characters (alerts show them beside the account ID)."
  }
}

variable "key_values" {
  description = "How primary-key values appear in alerts: show (as logged), hash (keyed HMAC with a per-deployment secret the module keeps in SSM, so the same item is recognisable without revealing it) or hide (attribute names only)."
  type        = string
  default     = "show"
  nullable    = false

  validation {
    condition     = contains(["show", "hash", "hide"], var.key_values)
    error_message = "key_values must be one of show, hash, hide."
  }
}

# ------------------------------------------------------------------------------ storage and retention

variable "log_retention_in_days" {
  description = "Retention of the CloudWatch Logs log group the trail writes to. One of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (0, never expire, is not accepted: logs hold personal data)."
  }
}

variable "lambda_log_retention_in_days" {
  description = "Retention of the function's own log group (decision counts, delivery errors). Same accepted values as log_retention_in_days."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.lambda_log_retention_in_days)
    error_message = "lambda_log_retention_in_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "trail_bucket_name" {
  description = "Name of the S3 bucket the module creates for the trail's log files. Null: NAME-trail-ACCOUNT-REGION."
  type        = string
  default     = null
  nullable    = true

  validation {
    condition     = var.trail_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.trail_bucket_name))
    error_message = "trail_bucket_name must be a valid S3 bucket name: 3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit."
  }
}

variable "trail_log_expiration_days" {
  description = "Days after which the trail's log files (and, after the same number of days, their noncurrent versions) are deleted from the bucket."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.trail_log_expiration_days >= 1 && floor(var.trail_log_expiration_days) == var.trail_log_expiration_days
    error_message = "trail_log_expiration_days must be a whole number of days, at least 1."
  }
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete the trail bucket with its log files in it. Leave false in production."
  type        = bool
  default     = false
  nullable    = false
}

# ----------------------------------------------------------------------------------------- encryption

variable "kms_key_arn" {
  description = "ARN of your own KMS key for the trail, bucket, both log groups, queue and parameters. Null: the module creates one key with rotation and a key policy scoped to these services (see docs/terraform.md for what your key policy must grant)."
  type        = string
  default     = null
  nullable    = true

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:(aws|aws-cn|aws-us-gov):kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID); aliases are not accepted because key policies and IAM conditions need the key ARN."
  }
}

variable "kms_key_deletion_window_in_days" {
  description = "Waiting period before the module's KMS key is deleted after destroy (7-30 days). Ignored when kms_key_arn is set."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.kms_key_deletion_window_in_days >= 7 && var.kms_key_deletion_window_in_days <= 30
    error_message = "kms_key_deletion_window_in_days must be between 7 and 30."
  }
}

# --------------------------------------------------------------------------------------------- lambda

variable "lambda_runtime" {
  description = "Python runtime of the function: python3.12 or python3.13 (the code uses the standard library and the runtime's boto3 only)."
  type        = string
  default     = "python3.12"
  nullable    = false

  validation {
    condition     = contains(["python3.12", "python3.13"], var.lambda_runtime)
    error_message = "lambda_runtime must be python3.12 or python3.13."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the function: arm64 (cheaper per GB-second) or x86_64. The package is pure Python, so both work."
  type        = string
  default     = "arm64"
  nullable    = false

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "lambda_memory_size" {
  description = "Memory of the function in MB (128-10240). CPU grows with memory; 256 handles payloads of thousands of records."
  type        = number
  default     = 256
  nullable    = false

  validation {
    condition     = var.lambda_memory_size >= 128 && var.lambda_memory_size <= 10240 && floor(var.lambda_memory_size) == var.lambda_memory_size
    error_message = "lambda_memory_size must be a whole number of MB between 128 and 10240."
  }
}

variable "lambda_timeout" {
  description = "Timeout of the function in seconds (10-900). It bounds how long webhook retries (429 with Retry-After, 5xx) may take within one invocation."
  type        = number
  default     = 120
  nullable    = false

  validation {
    condition     = var.lambda_timeout >= 10 && var.lambda_timeout <= 900 && floor(var.lambda_timeout) == var.lambda_timeout
    error_message = "lambda_timeout must be a whole number of seconds between 10 and 900."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Reserved concurrency of the function. Null: none reserved (uses the account pool). A small number (e.g. 2) also caps the rate of webhook calls; 0 would stop the function and is not accepted."
  type        = number
  default     = null
  nullable    = true

  validation {
    condition     = var.lambda_reserved_concurrency == null || try(var.lambda_reserved_concurrency >= 1 && floor(var.lambda_reserved_concurrency) == var.lambda_reserved_concurrency, false)
    error_message = "lambda_reserved_concurrency must be null or a whole number of at least 1 (0 would disable the function: no alerts)."
  }
}

variable "lambda_maximum_retry_attempts" {
  description = "How often Lambda retries a failed asynchronous invocation (0-2) before the payload goes to the on-failure queue."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = contains([0, 1, 2], var.lambda_maximum_retry_attempts)
    error_message = "lambda_maximum_retry_attempts must be 0, 1 or 2."
  }
}

variable "lambda_maximum_event_age_in_seconds" {
  description = "How long Lambda keeps retrying an asynchronous event (60-21600 s) before it goes to the on-failure queue."
  type        = number
  default     = 21600
  nullable    = false

  validation {
    condition     = var.lambda_maximum_event_age_in_seconds >= 60 && var.lambda_maximum_event_age_in_seconds <= 21600 && floor(var.lambda_maximum_event_age_in_seconds) == var.lambda_maximum_event_age_in_seconds
    error_message = "lambda_maximum_event_age_in_seconds must be a whole number between 60 and 21600."
  }
}

# ------------------------------------------------------------------------------------ delivery ledger

variable "digest_window_minutes" {
  description = "Digest window in minutes: the first alert of a (principal, table, access) posts at once, later ones within the window are counted in the delivery ledger and summed up in one follow-up when it closes. 0 turns digests off (every invocation posts what it found; repeats are still kept out)."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.digest_window_minutes >= 0 && var.digest_window_minutes <= 1440 && floor(var.digest_window_minutes) == var.digest_window_minutes
    error_message = "digest_window_minutes must be a whole number of minutes between 0 (digests off) and 1440 (a day)."
  }
}

variable "ledger_ttl_days" {
  description = "How long the delivery ledger remembers which eventIDs each destination received (days, 15-365). Rule: longer than anything can hold a payload for a later retry: the on-failure queue keeps payloads 14 days (SQS's maximum) and Lambda's asynchronous retries at most 6 hours, so a redrive on the queue's last day still finds the receipts and posts nothing twice."
  type        = number
  default     = 15
  nullable    = false

  validation {
    # 15: one day more than the on-failure queue's retention (queue.tf, 14 days); ledger.tf checks it again
    # against the queue's planned retention.
    condition     = var.ledger_ttl_days >= 15 && var.ledger_ttl_days <= 365 && floor(var.ledger_ttl_days) == var.ledger_ttl_days
    error_message = "ledger_ttl_days must be a whole number of days between 15 and 365: longer than the on-failure queue keeps a payload (14 days), so that a redrive never posts what was delivered before."
  }
}

# ------------------------------------------------------------------------------------------------ IAM

variable "role_path" {
  description = "IAM path of every role the module creates (the function's and CloudTrail's), e.g. /security/alerting/. Changing it replaces the roles."
  type        = string
  default     = "/"
  nullable    = false

  validation {
    condition     = length(var.role_path) <= 512 && can(regex("^/([!-~]+/)?$", var.role_path))
    error_message = "role_path must be an IAM path: \"/\" or /NAME/.../ (printable ASCII without spaces, starting and ending with \"/\", at most 512 characters)."
  }
}

variable "role_permissions_boundary" {
  description = "ARN of an IAM managed policy set as the permissions boundary of every role the module creates (the function's and CloudTrail's). Null: no boundary. The boundary must allow what the roles need (see docs/terraform.md)."
  type        = string
  default     = null
  nullable    = true

  validation {
    condition     = var.role_permissions_boundary == null || can(regex("^arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}|aws):policy/([!-~]+/)*[A-Za-z0-9+=,.@_-]{1,128}$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be the ARN of an IAM managed policy (arn:PARTITION:iam::ACCOUNT:policy/[PATH/]NAME), or null."
  }
}

# ---------------------------------------------------------------------------------------- monitoring

variable "alarm_actions" {
  description = "SNS topic ARNs notified when the on-failure queue holds undelivered alerts, the function reports errors or the canary's heartbeat stops (also on return to OK). Empty: the alarms exist but notify nobody, and the plan warns."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.alarm_actions : can(regex("^arn:(aws|aws-cn|aws-us-gov):sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", a))])
    error_message = "Every alarm_actions entry must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:TOPIC)."
  }
}

variable "alarm_settings" {
  description = "Fine-tuning of the undelivered-alerts and function-errors alarms: period in seconds, evaluation periods, and whether missing data counts as OK. The canary's alarm has its own variables."
  type = object({
    period_seconds                = optional(number, 300)
    evaluation_periods            = optional(number, 1)
    treat_missing_data_as_healthy = optional(bool, true)
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains([60, 300, 900, 3600], var.alarm_settings.period_seconds) && var.alarm_settings.evaluation_periods >= 1 && var.alarm_settings.evaluation_periods <= 24
    error_message = "alarm_settings.period_seconds must be 60, 300, 900 or 3600 and alarm_settings.evaluation_periods between 1 and 24."
  }
}

variable "canary_interval_minutes" {
  description = "Minutes between two heartbeats of the end-to-end canary: an EventBridge Scheduler schedule writes one item into a small canary table, and the function counts its arrival (docs/canary.md). 1-720; 0 turns the canary off and creates none of it."
  type        = number
  default     = 15
  nullable    = false

  validation {
    condition     = floor(var.canary_interval_minutes) == var.canary_interval_minutes && var.canary_interval_minutes >= 0 && var.canary_interval_minutes <= 720
    error_message = "canary_interval_minutes must be a whole number of minutes from 1 to 720, or 0 to turn the canary off."
  }
}

variable "canary_alarm_minutes" {
  description = "Minutes without a heartbeat after which the canary's alarm fires (missing data counts as breaching). Null: three intervals, at least 30 (CloudTrail delivers within minutes, not seconds). 10-1440, and at least canary_interval_minutes + 10."
  type        = number
  default     = null
  nullable    = true

  validation {
    condition     = var.canary_alarm_minutes == null || try(floor(var.canary_alarm_minutes) == var.canary_alarm_minutes && var.canary_alarm_minutes >= 10 && var.canary_alarm_minutes <= 1440, false)
    error_message = "canary_alarm_minutes must be null or a whole number of minutes from 10 to 1440 (CloudWatch evaluates one-minute periods over at most one day)."
  }
}

variable "tags" {
  description = "Tags added to every taggable resource the module creates (merged with a `Module = dynamodb-access-alerts` tag)."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")])
    error_message = "Tag keys must be 1-128 characters and not start with aws:, tag values at most 256 characters."
  }
}
