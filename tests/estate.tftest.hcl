# A real estate (issue 10): families, tables in other Regions, stream reads, and the largest configuration
# that fits CloudTrail's 500 selector values. The selector arithmetic itself is tested in
# modules/selectors/tests; these runs check that the root module wires it into the trail and the document.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  name                                 = "estate"
  table_names                          = ["orders", "tenant-*"]
  allowed_role_arns                    = ["arn:aws:iam::123456789012:role/orders-stream-consumer"]
  slack_webhook_url_ssm_parameter_name = "/platform/estate/slack-webhook"
  alarm_actions                        = ["arn:aws:sns:us-east-1:123456789012:oncall"]
}

run "a_family_is_one_starts_with_value_in_its_own_selector" {
  command = plan

  assert {
    condition     = [for s in aws_cloudtrail.this[0].advanced_event_selector : s.name] == ["DynamoDB data events of the watched tables", "DynamoDB data events of the watched table families", "Write management events (tamper and table control-plane alerts)"]
    error_message = "Exact tables and families get a selector each (operators are never mixed in one field selector)."
  }

  assert {
    condition     = [for f in aws_cloudtrail.this[0].advanced_event_selector[1].field_selector : f.starts_with if f.field == "resources.ARN"][0] == tolist(["arn:aws:dynamodb:us-east-1:123456789012:table/tenant-"])
    error_message = "The family is resources.ARN starts_with its table ARN prefix (its tables and their streams)."
  }

  assert {
    condition     = tolist(output.lambda_configuration.tables) == tolist(["arn:aws:dynamodb:us-east-1:123456789012:table/orders", "arn:aws:dynamodb:us-east-1:123456789012:table/tenant-*"]) && output.monitored_table_arns == output.lambda_configuration.tables
    error_message = "The document (and the output) name the family with its `*`, as the function reads it."
  }

  assert {
    # exact: 2 + 1 + the canary's table + 1 exclusion; family: 2 + 1 + 1 exclusion; management: 2
    condition     = output.selector_value_count == 11
    error_message = "Value count with one family: ${output.selector_value_count}."
  }

  assert {
    condition     = !aws_cloudtrail.this[0].is_multi_region_trail && !aws_cloudtrail.this[0].include_global_service_events && output.multi_region_reason == null
    error_message = "Home-Region tables only: single-Region trail without global service events."
  }

  assert {
    condition     = output.lambda_configuration.home == { partition = "aws", account = "123456789012", region = "us-east-1" }
    error_message = "The document says where the function lives."
  }

  assert {
    condition     = slice(tolist(output.lambda_configuration.pipeline.role_names), 0, 2) == tolist(["estate-lambda", "estate-cloudtrail-logs"])
    error_message = "The module's roles are pipeline resources (IAM changes to them are tamper)."
  }
}

run "a_table_in_another_region_makes_the_trail_multi_region" {
  command = plan

  variables {
    table_arns = ["arn:aws:dynamodb:eu-west-1:123456789012:table/orders", "arn:aws:dynamodb:eu-west-1:123456789012:table/tenant-*"]
  }

  assert {
    condition     = aws_cloudtrail.this[0].is_multi_region_trail && aws_cloudtrail.this[0].include_global_service_events
    error_message = "A watched table elsewhere needs a multi-Region trail, and CloudTrail requires global service events on one."
  }

  assert {
    condition     = strcontains(output.multi_region_reason, "eu-west-1") && output.watched_regions == tolist(["eu-west-1", "us-east-1"])
    error_message = "The plan says why the trail is multi-Region: ${coalesce(output.multi_region_reason, "null")}"
  }

  assert {
    condition     = [for f in aws_cloudtrail.this[0].advanced_event_selector[0].field_selector : f.equals if f.field == "resources.ARN"][0] == tolist(["arn:aws:dynamodb:eu-west-1:123456789012:table/orders", "arn:aws:dynamodb:us-east-1:123456789012:table/estate-access-alerts-canary", "arn:aws:dynamodb:us-east-1:123456789012:table/orders"])
    error_message = "The replica's ARN joins the exact selector (with the canary's table)."
  }

  assert {
    condition     = contains(output.lambda_configuration.tables, "arn:aws:dynamodb:eu-west-1:123456789012:table/tenant-*") && output.lambda_configuration.home.region == "us-east-1"
    error_message = "The document lists the other Region's tables; home stays the provider's Region."
  }

  assert {
    condition     = strcontains(aws_cloudwatch_log_subscription_filter.this.filter_pattern, "($.eventSource = \"iam.amazonaws.com\")")
    error_message = "IAM events of the global service events reach the function (tamper on the module's roles)."
  }
}

run "track_stream_reads_false_excludes_stream_calls_by_name" {
  command = plan

  variables {
    track_stream_reads = false
  }

  assert {
    condition     = alltrue([for s in slice(aws_cloudtrail.this[0].advanced_event_selector, 0, 2) : [for f in s.field_selector : f.not_equals if f.field == "eventName"][0] == tolist(["GetRecords", "GetShardIterator"])])
    error_message = "Both data selectors leave GetRecords and GetShardIterator out."
  }

  assert {
    condition     = output.selector_value_count == 11 + 4
    error_message = "Two values per data selector: ${output.selector_value_count}."
  }
}

run "largest_configuration_470_tables_20_excluded_roles" {
  # Table names with 12 random hex characters each (gzip cannot shrink those): the document must still fit
  # the parameter. (Names of 22 random hex characters reach the parameter's 8192 characters at about 360
  # tables: README, Large estates.)
  command = plan

  variables {
    table_names        = [for i in range(470) : format("%s-%s", element(["orders", "payments", "ledger", "sessions", "profiles"], i), substr(sha256(tostring(i)), 0, 12))]
    allowed_role_arns  = [for i in range(20) : format("arn:aws:iam::123456789012:role/service-%s", substr(sha256("role${i}"), 0, 12))]
    track_stream_reads = false
  }

  assert {
    # 2 + 470 ARNs + the canary's table + 2 eventName + 20 exclusions + 2 management = 497
    condition     = output.selector_value_count == 497 && length(output.selector_exclusion_prefixes) == 20
    error_message = "470 tables and 20 excluded roles use ${output.selector_value_count} of 500 values."
  }

  assert {
    condition     = length(output.lambda_configuration.tables) == 470 && length(output.lambda_configuration.allowed) == 20
    error_message = "Every table and pattern is in the document."
  }

  assert {
    condition     = length(nonsensitive(aws_ssm_parameter.configuration.value)) <= 8192 && contains(["Standard", "Advanced"], aws_ssm_parameter.configuration.tier)
    error_message = "The document fits the SSM parameter (8192 characters, Advanced tier)."
  }
}

run "over_500_values_fails_naming_the_count_and_the_fix" {
  command = plan

  variables {
    table_names       = concat([for i in range(479) : format("t%03d", i)], ["tenant-*"])
    allowed_role_arns = [for i in range(20) : format("arn:aws:iam::123456789012:role/svc-%02d", i)]
  }

  # exact 2 + 479 + canary 1 + 20, family 2 + 1 + 20, management 2 = 527
  expect_failures = [aws_cloudtrail.this]
}

run "an_existing_trail_is_asked_for_families_streams_and_other_regions" {
  # create_trail = false: the owner of the existing trail gets the same estate selectors (families as
  # StartsWith, stream calls left out as NotEquals, the other Region's ARNs), and the reason it must be
  # multi-Region.
  command = plan

  variables {
    create_trail            = false
    existing_log_group_name = "/platform/org-trail"
    table_arns              = ["arn:aws:dynamodb:eu-west-1:123456789012:table/orders"]
    track_stream_reads      = false
  }

  override_data {
    target = data.aws_cloudwatch_log_groups.existing[0]
    values = {
      log_group_names = ["/platform/org-trail"]
      arns            = ["arn:aws:logs:us-east-1:123456789012:log-group:/platform/org-trail"]
    }
  }

  assert {
    condition = [for s in jsondecode(output.required_advanced_event_selectors) : s.Name] == [
      "DynamoDB data events of the watched tables", "DynamoDB data events of the watched table families", "Write management events (tamper and table control-plane alerts)",
    ]
    error_message = "The existing trail is asked for the exact-table, the family and the management selector."
  }

  assert {
    condition = alltrue([
      contains(flatten([for f in jsondecode(output.required_advanced_event_selectors)[0].FieldSelectors : try(f.Equals, []) if f.Field == "resources.ARN"]), "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"),
      flatten([for f in jsondecode(output.required_advanced_event_selectors)[1].FieldSelectors : f.StartsWith if f.Field == "resources.ARN"]) == ["arn:aws:dynamodb:us-east-1:123456789012:table/tenant-"],
      alltrue([for s in slice(jsondecode(output.required_advanced_event_selectors), 0, 2) : flatten([for f in s.FieldSelectors : f.NotEquals if f.Field == "eventName"]) == ["GetRecords", "GetShardIterator"]]),
    ])
    error_message = "required_advanced_event_selectors: the replica's ARN (Equals), the family (StartsWith) and the stream calls left out (NotEquals) in both data selectors."
  }

  assert {
    condition     = strcontains(output.multi_region_reason, "eu-west-1") && length(aws_cloudtrail.this) == 0
    error_message = "No trail of the module's own, and the output says why the existing trail must be multi-Region."
  }
}
