# The selector computation on its own: no provider, so every run applies offline in milliseconds.
# `make tf-test` runs `terraform test` here as well as at the repository root.

variables {
  partition   = "aws"
  account_id  = "123456789012"
  region      = "us-east-1"
  table_names = ["payments", "orders"]
  allowed_role_arns = [
    "arn:aws:iam::123456789012:role/orders-service",
    "arn:aws:iam::123456789012:role/batch-*",
    "arn:aws:iam::123456789012:role/service-role/customers-sync",
    "dynamodb.amazonaws.com",
  ]
  rules = jsondecode(file("../../lambda_src/access_alerts/rules.json"))
}

run "named_tables_one_data_selector_sorted_arns" {
  assert {
    condition     = jsonencode([for s in output.advanced_event_selectors : s.name]) == jsonencode(["DynamoDB data events of the watched tables", "Write management events (tamper and table control-plane alerts)"])
    error_message = "Named tables only: one data selector and the management selector."
  }
  assert {
    condition = jsonencode(output.advanced_event_selectors[0].field_selectors) == jsonencode([
      { field = "eventCategory", equals = ["Data"], not_equals = null, starts_with = null, not_starts_with = null },
      { field = "resources.type", equals = ["AWS::DynamoDB::Table"], not_equals = null, starts_with = null, not_starts_with = null },
      { field = "resources.ARN", equals = ["arn:aws:dynamodb:us-east-1:123456789012:table/orders", "arn:aws:dynamodb:us-east-1:123456789012:table/payments"], not_equals = null, starts_with = null, not_starts_with = null },
      { field = "userIdentity.arn", equals = null, not_equals = null, starts_with = null, not_starts_with = ["arn:aws:sts::123456789012:assumed-role/batch-", "arn:aws:sts::123456789012:assumed-role/orders-service/"] },
    ])
    error_message = "Data selector: table data events of exactly the listed tables (sorted ARNs), exactly excludable roles left out."
  }
  assert {
    condition     = output.value_count == 2 + 2 + 2 + 2 && output.fits
    error_message = "eventCategory, resources.type, 2 ARNs, 2 exclusion prefixes, 2 management values = 8."
  }
  assert {
    condition     = !output.multi_region && output.multi_region_reason == null && output.table_regions == tolist(["us-east-1"])
    error_message = "Tables in the home Region only: single-Region trail."
  }
  assert {
    condition     = output.not_excluded_patterns == tolist(["arn:aws:iam::123456789012:role/service-role/customers-sync", "dynamodb.amazonaws.com"])
    error_message = "A role with a path and a service principal cannot be excluded at the trail."
  }
  assert {
    condition     = output.stream_reads_logged
    error_message = "Stream reads are logged by default."
  }
}

run "a_family_costs_one_value_in_a_selector_of_its_own" {
  variables {
    table_names = ["orders", "tenant-*", "audit-*"]
  }
  assert {
    condition     = jsonencode([for s in output.advanced_event_selectors : s.name]) == jsonencode(["DynamoDB data events of the watched tables", "DynamoDB data events of the watched table families", "Write management events (tamper and table control-plane alerts)"])
    error_message = "Exact tables and families never share a field selector: one selector each."
  }
  assert {
    condition = jsonencode([for f in output.advanced_event_selectors[1].field_selectors : f.starts_with if f.field == "resources.ARN"][0]) == jsonencode([
      "arn:aws:dynamodb:us-east-1:123456789012:table/audit-",
      "arn:aws:dynamodb:us-east-1:123456789012:table/tenant-",
    ])
    error_message = "A family is a starts_with on the table ARN prefix (it matches its tables and their streams)."
  }
  assert {
    condition     = jsonencode([for f in output.advanced_event_selectors[0].field_selectors : f.equals if f.field == "resources.ARN"][0]) == jsonencode(["arn:aws:dynamodb:us-east-1:123456789012:table/orders"])
    error_message = "The exact selector keeps only exact tables."
  }
  assert {
    condition     = jsonencode([for f in output.advanced_event_selectors[1].field_selectors : f.not_starts_with if f.field == "userIdentity.arn"][0]) == jsonencode(["arn:aws:sts::123456789012:assumed-role/batch-", "arn:aws:sts::123456789012:assumed-role/orders-service/"])
    error_message = "The family selector repeats the exclusions (else excluded roles' family traffic would be billed)."
  }
  assert {
    # exact: 2 + 1 ARN + 2 exclusions; families: 2 + 2 prefixes + 2 exclusions; management: 2
    condition     = output.value_count == 5 + 6 + 2
    error_message = "Value count with two families: ${output.value_count}."
  }
  assert {
    condition     = output.table_arns == tolist(["arn:aws:dynamodb:us-east-1:123456789012:table/audit-*", "arn:aws:dynamodb:us-east-1:123456789012:table/orders", "arn:aws:dynamodb:us-east-1:123456789012:table/tenant-*"])
    error_message = "table_arns (the document's form) keeps the family's `*`."
  }
}

run "families_only_no_exact_selector" {
  variables {
    table_names       = ["tenant-*"]
    allowed_role_arns = []
  }
  assert {
    condition     = jsonencode([for s in output.advanced_event_selectors : s.name]) == jsonencode(["DynamoDB data events of the watched table families", "Write management events (tamper and table control-plane alerts)"])
    error_message = "No exact table: no exact selector (an empty equals list would be rejected)."
  }
  assert {
    condition     = output.value_count == 3 + 2
    error_message = "2 + 1 family prefix + 2 management values."
  }
}

run "other_region_arns_make_the_trail_multi_region" {
  variables {
    table_arns = [
      "arn:aws:dynamodb:eu-west-1:123456789012:table/orders",
      "arn:aws:dynamodb:ap-southeast-2:123456789012:table/tenant-*",
      "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
    ]
  }
  assert {
    condition     = output.multi_region && output.table_regions == tolist(["ap-southeast-2", "eu-west-1", "us-east-1"])
    error_message = "A table outside the home Region makes the trail multi-Region."
  }
  assert {
    condition     = strcontains(output.multi_region_reason, "ap-southeast-2, eu-west-1") && strcontains(output.multi_region_reason, "home Region us-east-1")
    error_message = "The reason names the other Regions and the home Region: ${output.multi_region_reason}"
  }
  assert {
    condition     = jsonencode([for f in output.advanced_event_selectors[0].field_selectors : f.equals if f.field == "resources.ARN"][0]) == jsonencode(["arn:aws:dynamodb:eu-west-1:123456789012:table/orders", "arn:aws:dynamodb:us-east-1:123456789012:table/orders", "arn:aws:dynamodb:us-east-1:123456789012:table/payments"])
    error_message = "Other-Region ARNs join the exact selector; a name given twice (table_names and table_arns) counts once."
  }
  assert {
    condition     = jsonencode([for f in output.advanced_event_selectors[1].field_selectors : f.starts_with if f.field == "resources.ARN"][0]) == jsonencode(["arn:aws:dynamodb:ap-southeast-2:123456789012:table/tenant-"])
    error_message = "A family ARN in another Region is a starts_with value too."
  }
}

run "track_stream_reads_false_leaves_stream_calls_out_by_event_name" {
  variables {
    track_stream_reads = false
  }
  assert {
    condition     = jsonencode([for f in output.advanced_event_selectors[0].field_selectors : f.not_equals if f.field == "eventName"][0]) == jsonencode(["GetRecords", "GetShardIterator"])
    error_message = "eventName not_equals the stream read APIs of rules.json."
  }
  assert {
    condition     = output.value_count == 8 + 2 && !output.stream_reads_logged
    error_message = "Two more values: ${output.value_count}."
  }
}

run "writes_only_needs_no_stream_condition" {
  variables {
    track_reads        = false
    track_stream_reads = false
  }
  assert {
    condition     = jsonencode([for f in output.advanced_event_selectors[0].field_selectors : f.field]) == jsonencode(["eventCategory", "resources.type", "resources.ARN", "readOnly", "userIdentity.arn"])
    error_message = "readOnly = false already leaves stream reads out: no eventName condition."
  }
  assert {
    condition     = output.value_count == 9
    error_message = "One readOnly value more than the default: ${output.value_count}."
  }
}

run "exclusion_off_and_no_management" {
  variables {
    exclude_allowed_roles_at_source = false
    include_management_events       = false
  }
  assert {
    condition     = length(output.advanced_event_selectors) == 1 && length(output.exclusion_prefixes) == 0 && length(output.not_excluded_patterns) == 4
    error_message = "No exclusions, no management selector; every pattern is decided by the function."
  }
  assert {
    condition     = output.value_count == 4
    error_message = "2 + 2 ARNs."
  }
}

run "largest_configuration_470_tables_and_20_excluded_roles_fits" {
  variables {
    table_names        = [for i in range(470) : format("table-%03d", i)]
    allowed_role_arns  = [for i in range(20) : format("arn:aws:iam::123456789012:role/service-%02d", i)]
    track_stream_reads = false
  }
  assert {
    # 2 + 470 ARNs + 2 stream APIs + 20 exclusions + 2 management
    condition     = output.value_count == 496 && output.fits
    error_message = "470 tables and 20 excluded roles must fit: ${output.value_count}."
  }
}

run "over_the_limit_says_the_count_and_the_fix" {
  variables {
    table_names       = [for i in range(480) : format("table-%03d", i)]
    allowed_role_arns = [for i in range(20) : format("arn:aws:iam::123456789012:role/service-%02d", i)]
  }
  assert {
    condition     = output.value_count == 504 && !output.fits
    error_message = "2 + 480 + 20 + 2 = 504 does not fit."
  }
  assert {
    condition     = strcontains(output.limit_message, "would hold 504 values") && strcontains(output.limit_message, "family") && strcontains(output.limit_message, "480 table ARNs")
    error_message = "The message names the count, its parts and the fixes: ${output.limit_message}"
  }
}

run "other_partitions" {
  variables {
    partition         = "aws-cn"
    region            = "cn-north-1"
    account_id        = "210987654321"
    table_names       = ["orders"]
    allowed_role_arns = ["arn:aws-cn:iam::210987654321:role/app"]
  }
  assert {
    condition     = output.table_arns == tolist(["arn:aws-cn:dynamodb:cn-north-1:210987654321:table/orders"]) && output.exclusion_prefixes == tolist(["arn:aws-cn:sts::210987654321:assumed-role/app/"])
    error_message = "ARNs and exclusions are built in the given partition."
  }
}

run "table_names_reject_arns_and_bare_wildcards" {
  command = plan
  variables {
    table_names = ["arn:aws:dynamodb:us-east-1:123456789012:table/orders", "*", "ten*ant"]
  }
  expect_failures = [var.table_names]
}

run "table_arns_reject_streams_indexes_and_names" {
  command = plan
  variables {
    table_arns = ["arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000", "orders"]
  }
  expect_failures = [var.table_arns]
}
