# Names, ARNs and the subscription pattern that the rest of the module (and tests/*.tftest.hcl) rely on.
# The trail's selectors come from modules/selectors (selectors.tf).

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
  bucket_arn               = "arn:${local.partition}:s3:::${local.bucket_name}"
  lambda_role_name         = "${var.name}-lambda"
  trail_role_name          = "${var.name}-cloudtrail-logs"
  queue_alarm_name         = "${var.name}-undelivered-alerts"
  errors_alarm_name        = "${var.name}-function-errors"
  ssm_prefix               = "/dynamodb-access-alerts/${var.name}"
  ssm_parameter_arn_prefix = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${local.ssm_prefix}"
  key_hash_parameter_name  = "${local.ssm_prefix}/key-hash-secret"
  module_webhook_parameter = "${local.ssm_prefix}/slack-webhook-url"

  # ------------------------------------------------------------------------- the log group we subscribe to
  # The module's trail log group, or (create_trail = false) the existing one. The existing name is read
  # through the data source that checks it exists (trail.tf), so nothing that subscribes to it is planned
  # when the check fails. Either group is in the provider's account and Region.
  watched_log_group_name = var.create_trail ? local.trail_log_group_name : one(data.aws_cloudwatch_log_groups.existing[*].log_group_name_prefix)
  watched_log_group_arn  = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.watched_log_group_name}"
  # The trail the alerts come from, when known: watched for tamper and shown in the outputs.
  watched_trail_arn = var.create_trail ? local.trail_arn : var.existing_trail_arn

  # The organization's ID (o-...) when the module's trail is an organization trail: its member accounts'
  # log files go to AWSLogs/ORGID/ in the bucket and to ORGID_* streams of the log group.
  organization_id = one(data.aws_organizations_organization.this[*].id)

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
  own_key_parameter_arns = compact(concat(local.configuration_parameter_arns, [
    local.webhook_url_given ? local.webhook_parameter_arn : "",
    var.key_values == "hash" ? local.key_hash_parameter_arn : "",
  ]))
  # Every parameter the function reads: a change to any of them by someone not allowed is tamper.
  ssm_parameter_names = distinct(compact(concat(local.configuration_parameter_names, [
    local.webhook_parameter_name == null ? "" : local.webhook_parameter_name,
    var.key_values == "hash" ? local.key_hash_parameter_name : "",
  ], local.destination_parameter_names)))

  # ----------------------------------------------------------------------------- kms:ViaService values
  # SERVICE.REGION.DNS_SUFFIX: amazonaws.com in aws and aws-us-gov, amazonaws.com.cn in aws-cn (AWS KMS
  # Developer Guide, "kms:ViaService": https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
  via_service = {
    for service in ["dynamodb", "logs", "s3", "sqs", "ssm"] : service => "${service}.${local.region}.${local.dns_suffix}"
  }

  # DynamoDB tables of the module encrypted with the module key (kms.tf names them in the key policy): the
  # delivery ledger always, the canary's table when there is a canary.
  key_dynamodb_table_names = concat([local.ledger_table_name], local.canary_enabled ? [local.canary_table_name] : [])

  # The user's watched tables as ARNs (the document's `tables`, output monitored_table_arns). The selector
  # module also gets the canary's table (selectors.tf), whose heartbeat must be logged like any watched
  # write; the document names that table in its own `canary` field instead.
  watched_table_arns = [for a in module.selectors.table_arns : a if !(local.canary_enabled && a == local.canary_table_arn)]

  # ------------------------------------------------------------------ selectors in the CloudTrail API's form
  # The trail's selectors (module.selectors, selectors.tf) in the API's casing (PutEventSelectors, `aws
  # cloudtrail put-event-selectors --advanced-event-selectors`), operators that are not set left out: the
  # required_advanced_event_selectors output, for the owner of an existing trail (create_trail = false).
  # Rendered from the very list the module's own trail is given, so the two cannot differ.
  selector_operator_api_names = {
    equals          = "Equals"
    not_equals      = "NotEquals"
    starts_with     = "StartsWith"
    not_starts_with = "NotStartsWith"
    ends_with       = "EndsWith"
    not_ends_with   = "NotEndsWith"
  }
  required_advanced_event_selectors = jsonencode([
    for s in module.selectors.advanced_event_selectors : {
      Name = s.name
      FieldSelectors = [
        for f in s.field_selectors : merge(
          { Field = f.field },
          { for op, api in local.selector_operator_api_names : api => f[op] if try(f[op], null) != null },
        )
      ]
    }
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
