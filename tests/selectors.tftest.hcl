# Which trail selectors, exclusions and subscription pattern each variable combination produces.
# Offline: every AWS call is mocked (tests/mocks); run with `terraform test` at the repository root.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  name        = "unit"
  table_names = ["orders", "payments"]
  allowed_role_arns = [
    "arn:aws:iam::123456789012:role/orders-service",
    "arn:aws:iam::123456789012:role/batch-*",
    "arn:aws:iam::123456789012:role/service-role/customers-sync",
    "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_ReadOnly_*",
    "arn:aws:iam::*:role/cross-account-reader",
    "arn:aws:iam::123456789012:role/a*b",
    "arn:aws:iam::123456789012:user/alice",
    "arn:aws:sts::123456789012:assumed-role/ops/alice",
    "dynamodb.amazonaws.com",
  ]
  slack_webhook_url_ssm_parameter_name = "/platform/unit/slack-webhook"
  # Alarms that notify nobody make every plan warn (canary.tf); these tests are not about that.
  alarm_actions = ["arn:aws:sns:us-east-1:123456789012:oncall"]
}

run "defaults_log_reads_and_writes_of_exactly_the_tables" {
  command = plan

  assert {
    condition     = length(aws_cloudtrail.this[0].advanced_event_selector) == 2
    error_message = "Expected a data selector and a management selector."
  }

  assert {
    condition = [
      for f in aws_cloudtrail.this[0].advanced_event_selector[0].field_selector : f.equals if f.field == "resources.ARN"
      ][0] == tolist([
        "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
        "arn:aws:dynamodb:us-east-1:123456789012:table/payments",
        "arn:aws:dynamodb:us-east-1:123456789012:table/unit-access-alerts-canary",
    ])
    error_message = "resources.ARN must equal exactly the ARNs of the listed tables, and the canary's table (canary.tf)."
  }

  assert {
    condition = toset([
      for f in aws_cloudtrail.this[0].advanced_event_selector[0].field_selector : f.field
    ]) == toset(["eventCategory", "resources.type", "resources.ARN", "userIdentity.arn"])
    error_message = "With track_reads on there must be no readOnly condition (reads and writes are logged)."
  }

  assert {
    condition = [
      for f in aws_cloudtrail.this[0].advanced_event_selector[0].field_selector : f.equals if f.field == "eventCategory"
      ][0] == tolist(["Data"]) && [
      for f in aws_cloudtrail.this[0].advanced_event_selector[0].field_selector : f.equals if f.field == "resources.type"
    ][0] == tolist(["AWS::DynamoDB::Table"])
    error_message = "The data selector must select DynamoDB table data events."
  }

  assert {
    condition     = aws_cloudtrail.this[0].cloud_watch_logs_group_arn == "arn:aws:logs:us-east-1:123456789012:log-group:/mocked/log-group:*"
    error_message = "cloud_watch_logs_group_arn must be the log group ARN followed by :*."
  }

  assert {
    condition     = aws_cloudtrail.this[0].enable_log_file_validation && !aws_cloudtrail.this[0].is_multi_region_trail && !aws_cloudtrail.this[0].include_global_service_events
    error_message = "Log file validation on; single-Region trail without global service events."
  }

  assert {
    condition     = output.selector_value_count == 2 + 3 + 2 + 2
    error_message = "Selector values: eventCategory, resources.type, 2 ARNs and the canary table's, 2 prefixes, 2 management values."
  }
}

run "only_exactly_expressible_roles_are_excluded_at_source" {
  command = plan

  assert {
    condition = tolist(output.selector_exclusion_prefixes) == tolist([
      "arn:aws:sts::123456789012:assumed-role/batch-",
      "arn:aws:sts::123456789012:assumed-role/orders-service/",
    ])
    error_message = "Exact role -> NAME/ prefix; trailing * -> NAME prefix; nothing else."
  }

  assert {
    condition = [
      for f in aws_cloudtrail.this[0].advanced_event_selector[0].field_selector : f.not_starts_with if f.field == "userIdentity.arn"
    ][0] == output.selector_exclusion_prefixes
    error_message = "The trail must carry exactly the exclusion prefixes as userIdentity.arn not_starts_with."
  }

  assert {
    condition = tolist(output.allowed_patterns_decided_by_lambda) == tolist([
      "arn:aws:iam::123456789012:role/service-role/customers-sync",
      "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_ReadOnly_*",
      "arn:aws:iam::*:role/cross-account-reader",
      "arn:aws:iam::123456789012:role/a*b",
      "arn:aws:iam::123456789012:user/alice",
      "arn:aws:sts::123456789012:assumed-role/ops/alice",
      "dynamodb.amazonaws.com",
    ])
    error_message = "Paths, inner wildcards, * accounts, users, sessions and services must be left to the Lambda."
  }
}

run "exclusion_switched_off" {
  command = plan

  variables {
    exclude_allowed_roles_at_source = false
  }

  assert {
    condition     = length([for f in aws_cloudtrail.this[0].advanced_event_selector[0].field_selector : f if f.field == "userIdentity.arn"]) == 0
    error_message = "No userIdentity.arn condition when exclusion at source is off."
  }

  assert {
    condition     = length(output.selector_exclusion_prefixes) == 0 && length(output.allowed_patterns_decided_by_lambda) == 9
    error_message = "With exclusion off every allowed pattern is decided by the Lambda."
  }
}

run "no_allowed_roles_means_no_exclusion_condition" {
  command = plan

  variables {
    allowed_role_arns = []
  }

  assert {
    condition     = length([for f in aws_cloudtrail.this[0].advanced_event_selector[0].field_selector : f if f.field == "userIdentity.arn"]) == 0
    error_message = "An empty not_starts_with list must not be sent to CloudTrail."
  }
}

run "bare_role_wildcard_excludes_all_role_sessions_of_that_account" {
  command = plan

  variables {
    allowed_role_arns = ["arn:aws-us-gov:iam::210987654321:role/*", "arn:aws:iam::123456789012:role/orders-service"]
  }

  assert {
    condition = tolist(output.selector_exclusion_prefixes) == tolist([
      "arn:aws-us-gov:sts::210987654321:assumed-role/",
      "arn:aws:sts::123456789012:assumed-role/orders-service/",
    ])
    error_message = "role/* in a 12-digit account is exactly every assumed-role session of that account (partition kept)."
  }
}

run "writes_only_when_reads_are_not_tracked" {
  command = plan

  variables {
    track_reads = false
  }

  assert {
    condition = [
      for f in aws_cloudtrail.this[0].advanced_event_selector[0].field_selector : f.equals if f.field == "readOnly"
    ][0] == tolist(["false"])
    error_message = "track_reads = false must select readOnly = false."
  }
}

run "management_selector_for_watching" {
  command = plan

  assert {
    condition = toset([
      for f in aws_cloudtrail.this[0].advanced_event_selector[1].field_selector : "${f.field}=${join(",", f.equals)}"
    ]) == toset(["eventCategory=Management", "readOnly=false"])
    error_message = "Watching adds exactly one selector for write management events."
  }

  assert {
    condition = output.subscription_filter_pattern == join("", [
      "{ ($.eventSource = \"dynamodb.amazonaws.com\") || ($.eventSource = \"streams.dynamodb.amazonaws.com\") || ",
      "(($.eventName != \"CreateLogStream\") && (",
      "($.eventSource = \"cloudtrail.amazonaws.com\") || ($.eventSource = \"events.amazonaws.com\") || ",
      "($.eventSource = \"iam.amazonaws.com\") || ",
      "($.eventSource = \"kms.amazonaws.com\") || ($.eventSource = \"lambda.amazonaws.com\") || ",
      "($.eventSource = \"logs.amazonaws.com\") || ($.eventSource = \"monitoring.amazonaws.com\") || ",
      "($.eventSource = \"s3.amazonaws.com\") || ($.eventSource = \"scheduler.amazonaws.com\") || ",
      "($.eventSource = \"sqs.amazonaws.com\") || ($.eventSource = \"ssm.amazonaws.com\"))) }",
    ])
    error_message = "With watch_pipeline the pattern passes DynamoDB and the pipeline's services of rules.json, except the calls rules.json does not forward."
  }

  assert {
    condition = alltrue(concat(
      [for s in keys(jsondecode(file("${path.module}/lambda_src/access_alerts/rules.json")).pipeline.event_sources) : strcontains(output.subscription_filter_pattern, "($.eventSource = \"${s}\")")],
      [for n in jsondecode(file("${path.module}/lambda_src/access_alerts/rules.json")).pipeline.not_forwarded : strcontains(output.subscription_filter_pattern, "($.eventName != \"${n}\")")],
    )) && length(output.subscription_filter_pattern) <= 1024
    error_message = "Every pipeline event source and not-forwarded call of rules.json is in the pattern, within 1024 characters."
  }

  assert {
    condition     = aws_cloudwatch_log_subscription_filter.this.filter_pattern == output.subscription_filter_pattern
    error_message = "The subscription filter must use the computed pattern."
  }
}

run "table_management_only" {
  command = plan

  variables {
    watch_pipeline = false
  }

  assert {
    condition     = length(aws_cloudtrail.this[0].advanced_event_selector) == 2
    error_message = "Table control-plane watching still needs management events."
  }

  assert {
    condition     = output.subscription_filter_pattern == "{ ($.eventSource = \"dynamodb.amazonaws.com\") || ($.eventSource = \"streams.dynamodb.amazonaws.com\") }"
    error_message = "Without watch_pipeline only DynamoDB events may wake the function."
  }
}

run "no_watching_no_management_events" {
  command = plan

  variables {
    watch_pipeline         = false
    watch_table_management = false
  }

  assert {
    condition     = length(aws_cloudtrail.this[0].advanced_event_selector) == 1
    error_message = "Without watching, the trail must not pay for management events."
  }

  assert {
    condition     = output.lambda_configuration.watch_pipeline == false && output.lambda_configuration.watch_table_management == false
    error_message = "The Lambda must be told that watching is off."
  }
}

run "wide_subscription_filter" {
  command = plan

  variables {
    narrow_subscription_filter = false
  }

  assert {
    condition     = aws_cloudwatch_log_subscription_filter.this.filter_pattern == ""
    error_message = "narrow_subscription_filter = false must pass every log event."
  }
}

# Plan readability: adding a table (or an exclusion, or switching reads off) changes the selector's values
# and the configuration document, never the selector's name or the function's description.
run "names_with_one_table" {
  command = plan

  variables {
    table_names = ["orders"]
  }

  assert {
    condition     = aws_cloudtrail.this[0].advanced_event_selector[0].name == "DynamoDB data events of the watched tables" && aws_lambda_function.this.description == "dynamodb-access-alerts: alerts on unexpected access to the watched DynamoDB tables"
    error_message = "Selector name and function description are fixed texts."
  }
}

run "names_unchanged_with_more_tables_and_other_switches" {
  command = plan

  variables {
    table_names       = [for i in range(40) : format("tenant-%02d", i)]
    allowed_role_arns = []
    track_reads       = false
  }

  assert {
    condition     = aws_cloudtrail.this[0].advanced_event_selector[0].name == run.names_with_one_table.advanced_event_selectors[0].name
    error_message = "The selector's name must not change when tables, exclusions or track_reads change."
  }

  assert {
    condition     = aws_lambda_function.this.description == "dynamodb-access-alerts: alerts on unexpected access to the watched DynamoDB tables" && !strcontains(aws_lambda_function.this.description, "40")
    error_message = "The function's description must not change with the number of tables."
  }

  assert {
    condition     = length(aws_lambda_function.this.environment[0].variables) == 3 && aws_lambda_function.this.environment[0].variables["ACCESS_ALERTS_CONFIG_PARTS"] == "1"
    error_message = "More tables must not grow the function's environment (40 family-like tables: still one part)."
  }
}
