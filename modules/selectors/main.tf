# The trail's advanced event selectors (layer 1 of docs/design: what is logged at all), computed from plain
# values. The root module feeds them to its trail; tests and other stacks (an existing or organization
# trail, whose owner adds them) apply this module on its own, without AWS.
#
# Operators: CloudTrail ORs the values of one operator and ANDs the field selectors of one selector;
# separate selectors are ORed. Whether two operators inside ONE field selector (say resources.ARN with both
# equals and starts_with) are ORed or ANDed is not stated in the CloudTrail documentation, so exact tables
# and families never share a field selector: they get a selector each, which repeats the other conditions
# (and their values) but is certainly right.
#
# Streams: a selector on resources.type = AWS::DynamoDB::Table also logs the stream events of the selected
# tables (CloudTrail documentation: their resources list the stream and the table). That is relied upon, not
# re-checked here: no AWS::DynamoDB::Stream selector is added. For a family, starts_with on the table ARN
# prefix also matches the stream ARNs (TABLE_ARN/stream/...) of every table of the family.

locals {
  # ------------------------------------------------------------------------------------------- tables
  # Every watched entry as an ARN; a family keeps its trailing `*` (that is how the configuration document
  # and the Lambda name it). Sorted and de-duplicated: the plan does not change with the input order (sort()
  # also makes each of these a list of strings even when empty, which the selector objects below need).
  home_table_arn_prefix = "arn:${var.partition}:dynamodb:${var.region}:${var.account_id}:table/"
  table_arns            = sort(distinct(concat([for t in var.table_names : "${local.home_table_arn_prefix}${t}"], var.table_arns)))
  exact_table_arns      = sort([for a in local.table_arns : a if !endswith(a, "*")])
  family_arn_prefixes   = sort([for a in local.table_arns : trimsuffix(a, "*") if endswith(a, "*")])

  # arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME -> REGION
  table_regions = sort(distinct([for a in local.table_arns : split(":", a)[3]]))
  other_regions = [for r in local.table_regions : r if r != var.region]
  # A single-Region trail logs data events only of resources in its own Region, so one table elsewhere
  # makes the trail multi-Region; CloudTrail then requires global service events (IAM, STS) as well.
  multi_region = length(local.other_regions) > 0
  multi_region_reason = local.multi_region ? format(
    "Watched tables in %s, outside the home Region %s: the trail logs every Region (and, as CloudTrail requires of a multi-Region trail, global service events such as IAM) into the one log group in %s.",
    join(", ", local.other_regions), var.region, var.region,
  ) : null

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
  # Sorted and de-duplicated so the plan is stable whatever the order of the input list. `role/*` in an
  # account gives the bare "assumed-role/" prefix: legal, and it excludes every role session of that
  # account, which is exactly what such an entry allows.
  exclusion_prefixes    = var.exclude_allowed_roles_at_source ? sort(distinct(compact(values(local.exclusion_by_pattern)))) : []
  not_excluded_patterns = tolist([for p in var.allowed_role_arns : p if !var.exclude_allowed_roles_at_source || local.exclusion_by_pattern[p] == null])

  # ---------------------------------------------------------------------------------------- selectors
  # Built as conditions {field, op, values} with one operator each (this module never puts two operators in
  # one field selector), then spelled out below in the API's shape.
  data_conditions = [
    { field = "eventCategory", op = "equals", values = ["Data"] },
    { field = "resources.type", op = "equals", values = ["AWS::DynamoDB::Table"] },
  ]
  # Writes are selected with readOnly = false rather than a list of eventNames: a write API AWS adds later is
  # still logged (fail closed), and it costs one value instead of eight. readOnly is unreliable only in the
  # harmless direction (a PartiQL SELECT may be logged as readOnly = false, i.e. logged even when reads are
  # off; the Lambda classifies PartiQL by its statement). Stream reads are reads: readOnly = false leaves
  # them out already, so the eventName condition is added only when reads are on and stream reads are not.
  access_conditions = (
    !var.track_reads ? [{ field = "readOnly", op = "equals", values = ["false"] }]
    : var.track_stream_reads ? [] : [{ field = "eventName", op = "not_equals", values = sort(var.rules.dynamodb.stream_read_apis) }]
  )
  exclusion_conditions = length(local.exclusion_prefixes) == 0 ? [] : [
    { field = "userIdentity.arn", op = "not_starts_with", values = local.exclusion_prefixes },
  ]

  # Fixed names: adding a table or an exclusion changes only a selector's values, not its name.
  exact_tables_selector = {
    name = "DynamoDB data events of the watched tables"
    conditions = concat(
      local.data_conditions,
      [{ field = "resources.ARN", op = "equals", values = local.exact_table_arns }],
      local.access_conditions,
      local.exclusion_conditions,
    )
  }
  families_selector = {
    name = "DynamoDB data events of the watched table families"
    conditions = concat(
      local.data_conditions,
      [{ field = "resources.ARN", op = "starts_with", values = local.family_arn_prefixes }],
      local.access_conditions,
      local.exclusion_conditions,
    )
  }
  # Management events cannot be narrowed to services or resources at the trail (only kms/rdsdata may be
  # excluded), so this selects every write management event (of every Region, on a multi-Region trail); the
  # subscription filter keeps what the Lambda can alert on. No user exclusion: data allow-list entries never
  # allow management calls.
  management_selector = {
    name = "Write management events (tamper and table control-plane alerts)"
    conditions = [
      { field = "eventCategory", op = "equals", values = ["Management"] },
      { field = "readOnly", op = "equals", values = ["false"] },
    ]
  }
  selectors = [
    for s in [
      { keep = length(local.exact_table_arns) > 0, selector = local.exact_tables_selector },
      { keep = length(local.family_arn_prefixes) > 0, selector = local.families_selector },
      { keep = var.include_management_events, selector = local.management_selector },
    ] : s.selector if s.keep
  ]
  # The API's shape (AdvancedEventSelector / AdvancedFieldSelector): every operator present, null if unused.
  advanced_event_selectors = [
    for s in local.selectors : {
      name = s.name
      field_selectors = [
        for c in s.conditions : {
          field           = c.field
          equals          = c.op == "equals" ? c.values : null
          not_equals      = c.op == "not_equals" ? c.values : null
          starts_with     = c.op == "starts_with" ? c.values : null
          not_starts_with = c.op == "not_starts_with" ? c.values : null
        }
      ]
    }
  ]

  # CloudTrail counts every value of every condition of every selector against a hard limit of 500 per trail.
  value_limit         = 500
  value_count         = sum(concat([0], flatten([for s in local.selectors : [for c in s.conditions : length(c.values)]])))
  data_selector_count = length(local.selectors) - (var.include_management_events ? 1 : 0)
  limit_message = format(
    "The trail's advanced event selectors would hold %d values; CloudTrail allows at most %d per trail, and every value of every condition counts (here %d table ARNs, %d family prefixes, and %d userIdentity exclusion prefixes repeated in each of %d data selectors). Fix: name groups of tables as a family (tenant-* costs one value), exclude fewer roles at the trail (one role/PREFIX* pattern covers many roles, or set exclude_allowed_roles_at_source = false and let the function decide), or split the tables over two deployments.",
    local.value_count, local.value_limit, length(local.exact_table_arns), length(local.family_arn_prefixes),
    length(local.exclusion_prefixes), local.data_selector_count,
  )
}
