# The function's configuration: one versioned JSON document (docs/configuration-document.md) instead of
# Lambda environment variables, whose 4 KB cap used to limit a deployment to about 50 tables.
#
#   local.configuration            the document, version 1 (built from names in locals.tf: no cycles)
#   aws_ssm_parameter.configuration   base64gzip(jsonencode(document)), split over up to 8 SecureString
#                                  parameters NAME-1 ... NAME-8 under the module key (below)
#   terraform_data.configuration   the same document in clear, so a plan shows which entries change
#                                  (a SecureString value is only "(sensitive value)"); it also checks
#                                  the allow-list shapes against lambda_src/access_alerts/rules.json
#
# The function's environment names the parameters (prefix and number of parts in use) and carries
# sha256(jsonencode(document)): the function refuses a document with another hash, and a changed document
# changes the function's configuration, so new execution environments start and read the new document.

locals {
  # The parts are NAME-1 ... NAME-8; NAME itself is no parameter.
  configuration_parameter_name  = "${local.ssm_prefix}/configuration"
  configuration_slots           = 8
  configuration_parameter_names = [for i in range(local.configuration_slots) : "${local.configuration_parameter_name}-${i + 1}"]
  configuration_parameter_arns = [
    for n in local.configuration_parameter_names : "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/${trimprefix(n, "/")}"
  ]

  # Version 1 of the document. Every field is required by the reader; unknown fields are an error there,
  # so a field added here needs the reader's support (and a version bump if its meaning changes).
  configuration = {
    version                = 1
    name                   = var.name
    tables                 = local.watched_table_arns
    allowed                = var.allowed_role_arns
    allowed_management     = var.allowed_management_role_arns
    watch_pipeline         = var.watch_pipeline
    watch_table_management = var.watch_table_management
    # The module's own resources, by the names and ARNs built in locals.tf: reading them from the
    # resources would make the function (and the key policy) depend on themselves. With create_trail =
    # false: the existing log group, and the existing trail and its log group's key when they are named
    # (the trail's bucket is not known to the module).
    pipeline = {
      trail_arn           = local.watched_trail_arn
      trail_bucket        = var.create_trail ? local.bucket_name : null
      log_group_names     = [local.watched_log_group_name, local.lambda_log_group_name]
      function_name       = local.function_name
      queue_arn           = local.queue_arn
      kms_key_arns        = concat([local.kms_key_arn], var.create_trail || var.existing_log_group_kms_key_arn == null ? [] : [var.existing_log_group_kms_key_arn])
      ssm_parameter_names = local.ssm_parameter_names
      alarm_names         = concat([local.queue_alarm_name, local.errors_alarm_name], local.canary_enabled ? [local.canary_alarm_name] : [])
      schedule_names      = local.canary_enabled ? [local.canary_schedule_name] : []
      role_names          = concat([local.lambda_role_name], var.create_trail ? [local.trail_role_name] : [], local.canary_enabled ? [local.canary_role_name] : [])
      table_names         = [local.ledger_table_name]
      rule_names          = [local.flush_rule_name]
    }
    key_values         = var.key_values
    key_hash_parameter = var.key_values == "hash" ? local.key_hash_parameter_name : null
    # Secrets are named by their parameter, never written into the document (destinations.tf).
    destinations         = local.all_destinations
    default_destinations = var.default_destinations
    routes               = var.routes
    # Friendly names shown beside account IDs in alerts (account id -> name).
    account_names = var.account_names
    # The end-to-end canary (canary.tf): the function counts this role's PutItem on this table as a
    # heartbeat instead of alerting. Null when canary_interval_minutes = 0.
    canary = local.canary_enabled ? {
      table_arn = local.canary_table_arn
      role_arn  = local.canary_role_arn
    } : null
    # The delivery ledger (ledger.tf), by the name built in ledger.tf's locals: no dependency on the table.
    ledger = {
      table_name            = local.ledger_table_name
      digest_window_minutes = var.digest_window_minutes
      ttl_days              = var.ledger_ttl_days
    }
    # Where the function, its log group and the trail live; watched tables may be in other Regions.
    home = {
      partition = local.partition
      account   = local.account_id
      region    = local.region
    }
  }

  configuration_json   = jsonencode(local.configuration)
  configuration_sha256 = sha256(local.configuration_json)
  # What SSM stores. gzip keeps a few hundred table ARNs (which repeat the same prefix) small; base64
  # because a parameter value is text. The limits below count characters, and base64 is ASCII.
  configuration_value = base64gzip(local.configuration_json)
  configuration_size  = length(local.configuration_value)
  # One parameter holds 4096 characters in the Standard tier (free) and 8192 in the Advanced one ($0.05 a
  # month, docs/costs.md), so the value is cut into parts of 4096 while 8 of them suffice (32 KB, about
  # 1,400 tables of 22 random characters), of 8192 above that (64 KB at most). The number of parameters is
  # fixed, not derived from the size: `count` must be known at plan time, and the document is not always
  # (the module's own key ARN, or an allowed role created in the same apply). Unused slots hold "unused";
  # the function reads the first ACCESS_ALERTS_CONFIG_PARTS of them and checks the hash of the whole.
  configuration_part_chars = local.configuration_size <= local.configuration_slots * 4096 ? 4096 : 8192
  configuration_part_count = max(1, ceil(local.configuration_size / local.configuration_part_chars))
  configuration_parts = [
    for i in range(local.configuration_slots) : i < local.configuration_part_count
    ? substr(local.configuration_value, i * local.configuration_part_chars, local.configuration_part_chars)
    : "unused"
  ]

  # ------------------------------------------------------------------------ allow-list shapes (rules.json)
  # A Terraform 1.5 variable validation may not read files, so the shapes are checked here, in a
  # precondition, against the same regular expressions the Lambda uses. rules.json keeps them unanchored.
  allow_list_shapes = [for name in sort(keys(local.rules.allow_list_shapes)) : "^(?:${local.rules.allow_list_shapes[name]})$"]
  malformed_allowed = [
    for p in var.allowed_role_arns : p if !anytrue([for re in local.allow_list_shapes : can(regex(re, p))])
  ]
  malformed_allowed_management = [
    for p in var.allowed_management_role_arns : p if !anytrue([for re in local.allow_list_shapes : can(regex(re, p))])
  ]
  # arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME. A trail logs only its own partition. An account trail
  # logs only its own account's calls; an organization trail (organization_trail = true, or with
  # create_trail = false an existing organization trail's log group, which the module cannot inspect) logs
  # every member account's too.
  other_partition_table_arns = [for a in var.table_arns : a if split(":", a)[1] != local.partition]
  member_table_arns          = [for a in var.table_arns : a if split(":", a)[1] == local.partition && split(":", a)[4] != local.account_id]
  member_tables_allowed      = var.organization_trail || !var.create_trail
  allow_list_syntax_hint     = "Each entry must be arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME, arn:PARTITION:iam::ACCOUNT:user/[PATH/]NAME, arn:PARTITION:iam::ACCOUNT:root, arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/SESSION, arn:PARTITION:sts::ACCOUNT:federated-user/NAME (PARTITION aws, aws-cn or aws-us-gov; ACCOUNT 12 digits or *; `*` wildcards allowed in names) or a service principal such as dynamodb.amazonaws.com (shapes: lambda_src/access_alerts/rules.json, syntax: docs/allow-list.md)."
}

resource "terraform_data" "configuration" {
  input = local.configuration

  lifecycle {
    precondition {
      condition     = length(local.watched_table_arns) > 0
      error_message = "Watch at least one table: list table names (or families such as tenant-*) in table_names, or table ARNs in table_arns."
    }
    precondition {
      condition     = length(local.other_partition_table_arns) == 0
      error_message = "table_arns must name tables in this deployment's partition ${local.partition} (a trail logs only its own partition); these are not: ${jsonencode(local.other_partition_table_arns)}. Deploy the module once per partition."
    }
    precondition {
      condition     = local.member_tables_allowed || length(local.member_table_arns) == 0
      error_message = "table_arns names tables of other accounts than this deployment's ${local.account_id}: ${jsonencode(local.member_table_arns)}. The module's own trail logs only its account's calls: set organization_trail = true (applied in the organization's management account) to watch member accounts' tables, or deploy the module in each account (examples/multi-account)."
    }
    precondition {
      condition     = length(local.malformed_allowed) == 0
      error_message = "allowed_role_arns has entries the Lambda cannot read: ${jsonencode(local.malformed_allowed)}. ${local.allow_list_syntax_hint}"
    }
    precondition {
      condition     = length(local.all_destinations) > 0
      error_message = "No destination: set slack_webhook_url or slack_webhook_url_ssm_parameter_name (the destination named default), or destinations."
    }
    precondition {
      condition     = !(local.shorthand_given && contains(keys(var.destinations), "default"))
      error_message = "destinations has an entry named default, and slack_webhook_url or slack_webhook_url_ssm_parameter_name creates one too: rename the entry or drop the shorthand."
    }
    precondition {
      condition     = length(local.unknown_route_destinations) == 0
      error_message = "routes name destinations that do not exist: ${jsonencode(local.unknown_route_destinations)}. Known destinations: ${jsonencode(local.destination_names)}."
    }
    precondition {
      condition     = length(local.unknown_default_destinations) == 0
      error_message = "default_destinations names destinations that do not exist: ${jsonencode(local.unknown_default_destinations)}. Known destinations: ${jsonencode(local.destination_names)} (the shorthand slack_webhook_url creates the one named default)."
    }
    precondition {
      condition     = length(local.unreached_destinations) == 0
      error_message = "Nothing would ever reach the destinations ${jsonencode(local.unreached_destinations)}: they are in no route and not in default_destinations. Route to them or remove them."
    }
    precondition {
      condition     = length(local.malformed_allowed_management) == 0
      error_message = "allowed_management_role_arns has entries the Lambda cannot read: ${jsonencode(local.malformed_allowed_management)}. ${local.allow_list_syntax_hint}"
    }
  }
}

resource "aws_ssm_parameter" "configuration" {
  count = local.configuration_slots

  name        = local.configuration_parameter_names[count.index]
  description = "Configuration document (version 1, base64 gzip JSON, read in order from part 1) of dynamodb-access-alerts ${var.name}: part ${count.index + 1}"
  type        = "SecureString"
  key_id      = local.kms_key_arn
  tier        = length(local.configuration_parts[count.index]) <= 4096 ? "Standard" : "Advanced"
  value       = local.configuration_parts[count.index]
  tags        = local.tags

  lifecycle {
    precondition {
      condition     = local.configuration_size <= local.configuration_slots * 8192
      error_message = "The configuration document is ${local.configuration_size} characters once compressed; its ${local.configuration_slots} SSM parameters hold at most ${local.configuration_slots * 8192} (8192 each, Advanced tier). Watch fewer tables in this deployment (families such as tenant-* cover many tables for one entry, or split them over several deployments), or shorten the allow-lists (one wildcard pattern such as role/team-* covers many roles)."
    }
    precondition {
      condition     = length(local.configuration_json) <= 1048576
      error_message = "The configuration document is ${length(local.configuration_json)} characters of JSON; the function reads at most 1048576 (1 MiB). Use families (tenant-*) and wildcard allow-list patterns instead of long lists, or split the tables over several deployments."
    }
  }
}
