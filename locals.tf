# Names, ARNs and the selector logic that the rest of the module (and tests/*.tftest.hcl) rely on.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
# `.id` is the region name in provider 5.x and 6.x alike; `.name` is deprecated in 6.x and `.region`
# does not exist in 5.x, so neither is used.
data "aws_region" "current" {}

locals {
  # One home for the rules Terraform and the Lambda must agree on: allow-list shapes (configuration.tf),
  # the pipeline's event sources and the calls the subscription filter may drop (below).
  rules = jsondecode(file("${path.module}/lambda_src/access_alerts/rules.json"))

  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.id
  dns_suffix = data.aws_partition.current.dns_suffix

  tags = merge({ Module = "dynamodb-access-alerts" }, var.tags)

  # ---------------------------------------------------------------------------- names of our resources
  # Built from var.name rather than read from the resources wherever a resource ARN would create a cycle
  # (the key policy names the trail and log groups; the configuration document names the function).
  trail_name               = var.name
  trail_arn                = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${local.trail_name}"
  function_name            = var.name
  function_arn             = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${local.function_name}"
  trail_log_group_name     = "/aws/cloudtrail/${var.name}"
  trail_log_group_arn      = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.trail_log_group_name}"
  lambda_log_group_name    = "/aws/lambda/${local.function_name}"
  lambda_log_group_arn     = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.lambda_log_group_name}"
  queue_name               = "${var.name}-failed-alerts"
  queue_arn                = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.queue_name}"
  bucket_name              = coalesce(var.trail_bucket_name, "${var.name}-trail-${local.account_id}-${local.region}")
  lambda_role_name         = "${var.name}-lambda"
  trail_role_name          = "${var.name}-cloudtrail-logs"
  ssm_prefix               = "/dynamodb-access-alerts/${var.name}"
  key_hash_parameter_name  = "${local.ssm_prefix}/key-hash-secret"
  module_webhook_parameter = "${local.ssm_prefix}/slack-webhook-url"

  # ------------------------------------------------------------------------------------------ webhook
  # The URL is sensitive; whether it was given is not. nonsensitive() lets it decide `count`.
  webhook_url_given       = nonsensitive(var.slack_webhook_url != null)
  webhook_parameter_given = var.slack_webhook_url_ssm_parameter_name != null
  webhook_parameter_name  = local.webhook_url_given ? local.module_webhook_parameter : var.slack_webhook_url_ssm_parameter_name
  # The ARN form of a parameter name has no leading slash after "parameter".
  webhook_parameter_arn  = local.webhook_parameter_name == null ? null : "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/${trimprefix(local.webhook_parameter_name, "/")}"
  key_hash_parameter_arn = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/${trimprefix(local.key_hash_parameter_name, "/")}"
  # KMS key that encrypts the webhook parameter: ours when we store it; the user's (or aws/ssm: null) otherwise.
  webhook_parameter_kms_key_arn = local.webhook_url_given ? local.kms_key_arn : var.slack_webhook_url_ssm_parameter_kms_key_arn
  # Parameters encrypted with the module's key (ours or var.kms_key_arn): always the configuration.
  own_key_parameter_arns = compact([
    local.configuration_parameter_arn,
    local.webhook_url_given ? local.webhook_parameter_arn : "",
    var.key_values == "hash" ? local.key_hash_parameter_arn : "",
  ])
  # Every parameter the function reads: a change to any of them by someone not allowed is tamper.
  ssm_parameter_names = compact([
    local.configuration_parameter_name,
    local.webhook_parameter_name,
    var.key_values == "hash" ? local.key_hash_parameter_name : "",
  ])

  # ------------------------------------------------------------------------------------------- tables
  table_arns = [for t in var.table_names : "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${t}"]

  # ---------------------------------------------------------------------- source-level exclusion (layer 1)
  # userIdentity.arn of a role session is the STS form arn:P:sts::ACCOUNT:assumed-role/NAME/SESSION, without
  # the role path. Only two allow-list shapes translate into a prefix that drops exactly what the Lambda
  # allows:
  #   arn:P:iam::123456789012:role/NAME      -> arn:P:sts::123456789012:assumed-role/NAME/
  #   arn:P:iam::123456789012:role/PREFIX*   -> arn:P:sts::123456789012:assumed-role/PREFIX
  # (the Lambda matches role patterns against arn:P:iam::A:role/NAME, so a trailing * in NAME covers every
  # role whose name starts with PREFIX, whatever its path). Paths, `*` elsewhere, `*` accounts, users,
  # assumed-role/federated patterns and service principals stay in the trail and the Lambda decides.
  exact_role_re  = "^arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}):role/([A-Za-z0-9+=,.@_-]+)$"
  prefix_role_re = "^arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}):role/([A-Za-z0-9+=,.@_-]*)\\*$"
  exclusion_by_pattern = {
    for p in var.allowed_role_arns : p => (
      can(regex(local.exact_role_re, p))
      ? format("arn:%s:sts::%s:assumed-role/%s/", regex(local.exact_role_re, p)...)
      : can(regex(local.prefix_role_re, p))
      ? format("arn:%s:sts::%s:assumed-role/%s", regex(local.prefix_role_re, p)...)
      : null
    )
  }
  # Sorted and de-duplicated so the plan is stable whatever the order of the input list.
  exclusion_prefixes = var.exclude_allowed_roles_at_source ? sort(distinct(compact(values(local.exclusion_by_pattern)))) : []
  # `role/*` in an account gives the bare "assumed-role/" prefix: legal, and it excludes every role session of
  # that account, which is exactly what such an entry allows.
  not_excluded_patterns = [for p in var.allowed_role_arns : p if !var.exclude_allowed_roles_at_source || local.exclusion_by_pattern[p] == null]

  # ---------------------------------------------------------------------------------------- selectors
  # Writes are selected with readOnly = false rather than a list of eventNames: a write API AWS adds later is
  # still logged (fail closed), and it costs one selector value instead of eight. readOnly is unreliable only
  # in the harmless direction (a PartiQL SELECT may be logged as readOnly = false, i.e. logged even when reads
  # are off; the Lambda classifies PartiQL by its statement). With track_reads the field is left out, which
  # selects reads and writes alike (including stream reads on stream-enabled tables).
  data_selector = {
    # A fixed name: adding a table or an exclusion changes only the selector's values, not its name.
    name = "DynamoDB data events of the watched tables"
    field_selectors = concat(
      [
        { field = "eventCategory", equals = ["Data"], not_starts_with = null },
        { field = "resources.type", equals = ["AWS::DynamoDB::Table"], not_starts_with = null },
        { field = "resources.ARN", equals = local.table_arns, not_starts_with = null },
      ],
      var.track_reads ? [] : [{ field = "readOnly", equals = ["false"], not_starts_with = null }],
      length(local.exclusion_prefixes) == 0 ? [] : [{ field = "userIdentity.arn", equals = null, not_starts_with = local.exclusion_prefixes }],
    )
  }
  # Management events cannot be narrowed to services or resources at the trail (only kms/rdsdata may be
  # excluded), so this selects every write management event of the Region; the subscription filter keeps
  # what the Lambda can alert on. No user exclusion: data allow-list entries never allow management calls.
  watch_management = var.watch_pipeline || var.watch_table_management
  management_selector = {
    name = "Write management events (tamper and table control-plane alerts)"
    field_selectors = [
      { field = "eventCategory", equals = ["Management"], not_starts_with = null },
      { field = "readOnly", equals = ["false"], not_starts_with = null },
    ]
  }
  advanced_event_selectors = concat([local.data_selector], local.watch_management ? [local.management_selector] : [])

  # CloudTrail counts every value of every condition against a hard limit of 500 per trail.
  selector_value_count = sum([
    for s in local.advanced_event_selectors : sum([
      for f in s.field_selectors : length(coalesce(f.equals, [])) + length(coalesce(f.not_starts_with, []))
    ])
  ])

  # ------------------------------------------------------------------------- subscription filter (layer 2)
  # CloudTrail writes one JSON record per log event. The pattern lets through:
  #  - every DynamoDB event (data events on the watched tables, stream reads, and DynamoDB management
  #    calls, which the Lambda turns into control-plane alerts or ignores), and
  #  - when watch_pipeline is on, write management events of the services the pipeline is made of, except
  #    the calls rules.json lists as not forwarded (CreateLogStream: no tamper event, and every new Lambda
  #    execution environment and every trail delivery stream causes one, so letting it through would make
  #    the function wake itself up).
  # It drops only management events of other services (which the Lambda ignores: it alerts on management
  # events of DynamoDB and of the pipeline's services only). It does not try to drop allowed roles: at this
  # layer that could only repeat the trail-level exclusion, and a pattern has no room for long allow-lists.
  # Both lists come from rules.json, which the Lambda's tamper catalogue reads too.
  dynamodb_source_condition = join(" || ", [for s in local.rules.dynamodb.event_sources : "($.eventSource = \"${s}\")"])
  pipeline_source_condition = join(" || ", [for s in sort(keys(local.rules.pipeline.event_sources)) : "($.eventSource = \"${s}\")"])
  not_forwarded_condition   = join(" && ", [for n in local.rules.pipeline.not_forwarded : "($.eventName != \"${n}\")"])
  subscription_filter_pattern = !var.narrow_subscription_filter ? "" : (
    var.watch_pipeline
    ? "{ ${local.dynamodb_source_condition} || (${local.not_forwarded_condition} && (${local.pipeline_source_condition})) }"
    : "{ ${local.dynamodb_source_condition} }"
  )

  # ----------------------------------------------------------------------------------- KMS key in use
  create_kms_key = var.kms_key_arn == null
  kms_key_arn    = local.create_kms_key ? aws_kms_key.this[0].arn : var.kms_key_arn
}
