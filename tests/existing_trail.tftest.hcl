# create_trail = false: the module subscribes to the log group of a trail it does not own, creates no trail,
# bucket or trail log group, and outputs the selectors that trail needs: the very ones its own trail uses.
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
  ]
  allowed_management_role_arns         = ["arn:aws:iam::123456789012:role/platform-deployer"]
  slack_webhook_url_ssm_parameter_name = "/platform/unit/slack-webhook"
  alarm_actions                        = ["arn:aws:sns:us-east-1:123456789012:oncall"]
}

# The module's own trail, for the comparison below: what it is given and what the output says must agree.
run "own_trail_uses_the_required_selectors" {
  command = plan

  assert {
    condition = [
      for s in aws_cloudtrail.this[0].advanced_event_selector : {
        name = s.name
        fields = sort([
          for f in s.field_selector : join(" ", concat([f.field], [
            for op in ["ends_with", "equals", "not_ends_with", "not_equals", "not_starts_with", "starts_with"] :
            "${op}=${join(",", f[op])}" if f[op] != null
          ]))
        ])
      }
      ] == [
      for s in jsondecode(output.required_advanced_event_selectors) : {
        name = s.Name
        fields = sort([
          for f in s.FieldSelectors : join(" ", concat([f.Field], [
            for op, api in { ends_with = "EndsWith", equals = "Equals", not_ends_with = "NotEndsWith", not_equals = "NotEquals", not_starts_with = "NotStartsWith", starts_with = "StartsWith" } :
            "${op}=${join(",", f[api])}" if try(f[api], null) != null
          ]))
        ])
      }
    ]
    error_message = "required_advanced_event_selectors must hold exactly the selectors the module's own trail is given (names, fields, operators and values)."
  }

  assert {
    condition     = length(jsondecode(output.required_advanced_event_selectors)) == 2
    error_message = "Expected the data selector and the write-management selector."
  }
}

run "existing_log_group_only" {
  command = plan

  variables {
    create_trail                   = false
    existing_log_group_name        = "/platform/org-trail"
    existing_trail_arn             = "arn:aws:cloudtrail:us-east-1:123456789012:trail/platform"
    existing_log_group_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/99999999-8888-7777-6666-555555555555"
  }

  override_data {
    target = data.aws_cloudwatch_log_groups.existing[0]
    values = {
      log_group_names = ["/platform/org-trail", "/platform/org-trail-archive"]
      arns            = ["arn:aws:logs:us-east-1:123456789012:log-group:/platform/org-trail", "arn:aws:logs:us-east-1:123456789012:log-group:/platform/org-trail-archive"]
    }
  }

  assert {
    condition = (
      length(aws_cloudtrail.this) == 0 && length(aws_cloudwatch_log_group.trail) == 0 &&
      length(aws_iam_role.trail) == 0 && length(aws_iam_role_policy.trail) == 0 &&
      length(aws_s3_bucket.this) == 0 && length(aws_s3_bucket_policy.this) == 0 &&
      length(aws_s3_bucket_public_access_block.this) == 0 && length(aws_s3_bucket_versioning.this) == 0 &&
      length(aws_s3_bucket_lifecycle_configuration.this) == 0 &&
      length(aws_s3_bucket_server_side_encryption_configuration.this) == 0 &&
      length(aws_s3_bucket_ownership_controls.this) == 0
    )
    error_message = "create_trail = false must create no trail, trail log group, trail role or bucket."
  }

  assert {
    condition     = aws_cloudwatch_log_subscription_filter.this.log_group_name == "/platform/org-trail" && aws_cloudwatch_log_subscription_filter.this.name == "unit-access-alerts"
    error_message = "The one subscription filter must be on the existing log group."
  }

  assert {
    condition     = aws_lambda_permission.this.source_arn == "arn:aws:logs:us-east-1:123456789012:log-group:/platform/org-trail:*" && aws_lambda_permission.this.principal == "logs.amazonaws.com" && aws_lambda_permission.this.source_account == "123456789012"
    error_message = "Only the existing log group (in this account) may invoke the function."
  }

  assert {
    condition = (
      terraform_data.configuration.input.pipeline.trail_arn == "arn:aws:cloudtrail:us-east-1:123456789012:trail/platform" &&
      terraform_data.configuration.input.pipeline.trail_bucket == null &&
      jsonencode(terraform_data.configuration.input.pipeline.log_group_names) == jsonencode(["/platform/org-trail", "/aws/lambda/unit"]) &&
      jsonencode(terraform_data.configuration.input.pipeline.kms_key_arns) == jsonencode([
        "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555",
        "arn:aws:kms:us-east-1:123456789012:key/99999999-8888-7777-6666-555555555555",
      ])
    )
    error_message = "The existing trail, its log group and that group's key are the pipeline watched for tamper; there is no bucket of ours."
  }

  assert {
    condition = length([
      for st in data.aws_iam_policy_document.kms[0].statement : st.sid if startswith(st.sid, "CloudTrail")
    ]) == 0
    error_message = "Without a trail of its own the key policy must grant CloudTrail nothing."
  }

  assert {
    condition = jsonencode(distinct(flatten([
      for st in data.aws_iam_policy_document.kms[0].statement : [for c in st.condition : sort(c.values) if c.variable == "kms:EncryptionContext:aws:logs:arn"]
    ]))) == jsonencode(["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/unit"])
    error_message = "CloudWatch Logs may use the module key for the function's log group only (the existing group has its own key)."
  }

  assert {
    condition = (
      output.trail_arn == "arn:aws:cloudtrail:us-east-1:123456789012:trail/platform" && output.trail_name == "platform" &&
      output.trail_bucket_name == null && output.log_group_name == "/platform/org-trail" &&
      output.log_group_arn == "arn:aws:logs:us-east-1:123456789012:log-group:/platform/org-trail"
    )
    error_message = "Outputs name the existing trail and log group; there is no bucket."
  }
}

run "existing_selectors_equal_the_own_trail_selectors" {
  command = plan

  variables {
    create_trail            = false
    existing_log_group_name = "/platform/org-trail"
  }

  override_data {
    target = data.aws_cloudwatch_log_groups.existing[0]
    values = {
      log_group_names = ["/platform/org-trail"]
    }
  }

  assert {
    condition     = output.required_advanced_event_selectors == run.own_trail_uses_the_required_selectors.required_advanced_event_selectors
    error_message = "For the same inputs, the selectors asked of an existing trail must be those the module's own trail uses."
  }

  assert {
    condition     = output.trail_arn == null && output.trail_name == null && terraform_data.configuration.input.pipeline.trail_arn == null
    error_message = "Without existing_trail_arn no trail is named or watched."
  }

  assert {
    condition     = jsonencode(terraform_data.configuration.input.pipeline.kms_key_arns) == jsonencode(["arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"])
    error_message = "Without existing_log_group_kms_key_arn only the module key is watched."
  }
}

run "selectors_without_management_events_or_exclusions" {
  command = plan

  variables {
    create_trail                    = false
    existing_log_group_name         = "/platform/org-trail"
    watch_pipeline                  = false
    watch_table_management          = false
    track_reads                     = false
    exclude_allowed_roles_at_source = false
  }

  override_data {
    target = data.aws_cloudwatch_log_groups.existing[0]
    values = {
      log_group_names = ["/platform/org-trail"]
    }
  }

  assert {
    condition = jsondecode(output.required_advanced_event_selectors) == jsondecode(jsonencode([{
      Name = "DynamoDB data events of the watched tables"
      FieldSelectors = [
        { Field = "eventCategory", Equals = ["Data"] },
        { Field = "resources.type", Equals = ["AWS::DynamoDB::Table"] },
        # The canary's table (canary.tf) is watched like any other: the existing trail must log it too.
        { Field = "resources.ARN", Equals = ["arn:aws:dynamodb:us-east-1:123456789012:table/orders", "arn:aws:dynamodb:us-east-1:123456789012:table/payments", "arn:aws:dynamodb:us-east-1:123456789012:table/unit-access-alerts-canary"] },
        { Field = "readOnly", Equals = ["false"] },
      ]
    }]))
    error_message = "Writes only, no exclusions, no management events: one selector in the API's casing, unset operators left out (the canary's table watched too)."
  }
}

# ----------------------------------------------------------------------------------- bad combinations

run "existing_log_group_missing" {
  command = plan

  variables {
    create_trail            = false
    existing_log_group_name = "/platform/no-such-group"
  }

  override_data {
    target = data.aws_cloudwatch_log_groups.existing[0]
    values = {
      log_group_names = ["/platform/no-such-group-but-longer"]
    }
  }

  expect_failures = [data.aws_cloudwatch_log_groups.existing]
}

run "create_trail_false_without_log_group" {
  command = plan

  variables {
    create_trail = false
  }

  expect_failures = [data.aws_cloudwatch_log_groups.existing]
}

run "existing_trail_in_another_account" {
  command = plan

  variables {
    create_trail            = false
    existing_log_group_name = "/platform/org-trail"
    existing_trail_arn      = "arn:aws:cloudtrail:us-east-1:210987654321:trail/org"
  }

  override_data {
    target = data.aws_cloudwatch_log_groups.existing[0]
    values = {
      log_group_names = ["/platform/org-trail"]
    }
  }

  expect_failures = [data.aws_cloudwatch_log_groups.existing]
}

run "existing_inputs_with_own_trail" {
  command = plan

  variables {
    existing_log_group_name = "/platform/org-trail"
  }

  expect_failures = [aws_cloudwatch_log_subscription_filter.this]
}

run "existing_log_group_given_as_arn" {
  command = plan

  variables {
    create_trail            = false
    existing_log_group_name = "arn:aws:logs:us-east-1:123456789012:log-group:/platform/org-trail"
  }

  expect_failures = [var.existing_log_group_name]
}
