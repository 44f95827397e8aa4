# Bad inputs fail at plan time with a clear message.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  name                                 = "unit"
  table_names                          = ["orders"]
  slack_webhook_url_ssm_parameter_name = "/platform/unit/slack-webhook"
  # Alarms that notify nobody make every plan warn (canary.tf); these tests are not about that.
  alarm_actions = ["arn:aws:sns:us-east-1:123456789012:oncall"]
}

run "no_table_at_all" {
  # table_names may be empty when table_arns names the tables; with neither, nothing would be watched.
  command = plan
  variables {
    table_names = []
  }
  expect_failures = [terraform_data.configuration]
}

run "family_in_the_middle_or_bare_wildcard" {
  command = plan
  variables {
    table_names = ["ten*ant", "*"]
  }
  expect_failures = [var.table_names]
}

run "table_arns_reject_names_streams_and_indexes" {
  command = plan
  variables {
    table_arns = [
      "orders",
      "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000",
      "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/index/by-date",
      "arn:aws:dynamodb:Europe:123456789012:table/orders",
    ]
  }
  expect_failures = [var.table_arns]
}

run "table_arns_of_another_account_or_partition" {
  command = plan
  variables {
    table_arns = [
      "arn:aws:dynamodb:eu-west-1:999999999999:table/orders",
      "arn:aws-cn:dynamodb:cn-north-1:123456789012:table/orders",
    ]
  }
  expect_failures = [terraform_data.configuration]
}

run "duplicate_table_arns" {
  command = plan
  variables {
    table_arns = ["arn:aws:dynamodb:eu-west-1:123456789012:table/orders", "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"]
  }
  expect_failures = [var.table_arns]
}

run "table_arn_instead_of_name" {
  command = plan
  variables {
    table_names = ["arn:aws:dynamodb:us-east-1:123456789012:table/orders"]
  }
  expect_failures = [var.table_names]
}

run "duplicate_tables" {
  command = plan
  variables {
    table_names = ["orders", "orders"]
  }
  expect_failures = [var.table_names]
}

# Allow-list shapes come from lambda_src/access_alerts/rules.json (the Lambda's own rules), checked in a
# precondition of terraform_data.configuration because a Terraform 1.5 validation cannot read files.
run "malformed_allowed_arn" {
  command = plan
  variables {
    allowed_role_arns = ["arn:aws:iam::123456789012:role/orders-service", "arn:aws:iam::12345:role/too-short-account"]
  }
  expect_failures = [terraform_data.configuration]
}

run "allowed_entry_that_is_not_an_arn" {
  command = plan
  variables {
    allowed_role_arns = ["orders-service"]
  }
  expect_failures = [terraform_data.configuration]
}

run "malformed_management_arn" {
  command = plan
  variables {
    allowed_management_role_arns = ["arn:aws:iam::123456789012:group/admins"]
  }
  expect_failures = [terraform_data.configuration]
}

run "every_shape_of_rules_json_is_accepted" {
  command = plan
  variables {
    allowed_role_arns = [
      "arn:aws:iam::123456789012:role/orders-service",
      "arn:aws:iam::*:role/service-role/app-*",
      "arn:aws-cn:iam::123456789012:user/ops/alice",
      "arn:aws-us-gov:iam::123456789012:root",
      "arn:aws:sts::123456789012:assumed-role/app/session-*",
      "arn:aws:sts::123456789012:federated-user/dave",
      "dynamodb.amazonaws.com",
    ]
    allowed_management_role_arns = ["arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_Admin_*"]
  }
  assert {
    condition     = length(local.malformed_allowed) == 0 && length(local.malformed_allowed_management) == 0 && length(local.allow_list_shapes) == 5
    error_message = "Every shape listed in rules.json must be accepted."
  }
}

run "empty_allowed_entry" {
  command = plan
  variables {
    allowed_role_arns = [""]
  }
  expect_failures = [var.allowed_role_arns]
}

run "duplicate_allowed_entries" {
  command = plan
  variables {
    allowed_role_arns = ["arn:aws:iam::123456789012:role/app", "arn:aws:iam::123456789012:role/app"]
  }
  expect_failures = [var.allowed_role_arns]
}

run "duplicate_management_entries" {
  command = plan
  variables {
    allowed_management_role_arns = ["arn:aws:iam::123456789012:role/deployer", "arn:aws:iam::123456789012:role/deployer"]
  }
  expect_failures = [var.allowed_management_role_arns]
}

run "both_webhook_variables" {
  command = plan
  variables {
    slack_webhook_url = "https://hooks.slack.com/services/T/B/X"
  }
  expect_failures = [aws_lambda_function.this]
}

# Neither shorthand and no destinations: nothing to deliver to (a precondition, as it reads several variables).
run "neither_webhook_variable" {
  command = plan
  variables {
    slack_webhook_url_ssm_parameter_name = null
  }
  expect_failures = [terraform_data.configuration]
}

run "webhook_not_https" {
  command = plan
  variables {
    slack_webhook_url_ssm_parameter_name = null
    slack_webhook_url                    = "http://hooks.slack.com/services/T/B/X"
  }
  expect_failures = [var.slack_webhook_url]
}

run "too_many_selector_values" {
  # 480 tables + 2 fixed + 20 exact roles + 2 management values = 504 > 500.
  command = plan
  variables {
    table_names       = [for i in range(480) : format("t%03d", i)]
    allowed_role_arns = [for i in range(20) : format("arn:aws:iam::123456789012:role/svc-%02d", i)]
  }
  expect_failures = [aws_cloudtrail.this]
}

run "configuration_document_over_8_kb" {
  # 200 management patterns of 60 random hex characters: about 10 KB once compressed.
  command = plan
  variables {
    allowed_management_role_arns = [for i in range(200) : format("arn:aws:iam::123456789012:role/%s", substr(sha256(tostring(i)), 0, 60))]
  }
  expect_failures = [aws_ssm_parameter.configuration]
}

run "bad_key_values" {
  command = plan
  variables {
    key_values = "redact"
  }
  expect_failures = [var.key_values]
}

run "bad_retention" {
  command = plan
  variables {
    log_retention_in_days = 10
  }
  expect_failures = [var.log_retention_in_days]
}

run "never_expiring_logs_rejected" {
  command = plan
  variables {
    lambda_log_retention_in_days = 0
  }
  expect_failures = [var.lambda_log_retention_in_days]
}

run "bad_runtime" {
  command = plan
  variables {
    lambda_runtime = "python3.9"
  }
  expect_failures = [var.lambda_runtime]
}

run "bad_name" {
  command = plan
  variables {
    name = "Upper_Case"
  }
  expect_failures = [var.name]
}

run "zero_reserved_concurrency" {
  command = plan
  variables {
    lambda_reserved_concurrency = 0
  }
  expect_failures = [var.lambda_reserved_concurrency]
}

run "too_many_retries" {
  command = plan
  variables {
    lambda_maximum_retry_attempts = 3
  }
  expect_failures = [var.lambda_maximum_retry_attempts]
}

run "event_age_out_of_range" {
  command = plan
  variables {
    lambda_maximum_event_age_in_seconds = 30
  }
  expect_failures = [var.lambda_maximum_event_age_in_seconds]
}

run "kms_alias_instead_of_arn" {
  command = plan
  variables {
    kms_key_arn = "alias/my-key"
  }
  expect_failures = [var.kms_key_arn]
}

run "alarm_action_not_sns" {
  command = plan
  variables {
    alarm_actions = ["arn:aws:lambda:us-east-1:123456789012:function:pager"]
  }
  expect_failures = [var.alarm_actions]
}

run "bucket_name_too_long" {
  command = plan
  variables {
    name = "a-very-long-deployment-name-32ch"
  }
  override_data {
    target = data.aws_region.current
    values = { id = "ap-southeast-4", name = "ap-southeast-4" }
  }
  expect_failures = [aws_s3_bucket.this]
}

run "webhook_parameter_given_as_arn" {
  command = plan
  variables {
    slack_webhook_url_ssm_parameter_name = "arn:aws:ssm:us-east-1:123456789012:parameter/platform/slack"
  }
  expect_failures = [var.slack_webhook_url_ssm_parameter_name]
}

run "loopback_http_webhook_is_accepted_for_local_tests" {
  command = plan
  variables {
    slack_webhook_url_ssm_parameter_name = null
    slack_webhook_url                    = "http://127.0.0.1:8080/hook"
  }
  assert {
    condition     = length(aws_ssm_parameter.webhook) == 1
    error_message = "A loopback http URL (local receiver) is accepted and stored."
  }
}

run "role_path_without_trailing_slash" {
  command = plan
  variables {
    role_path = "/security"
  }
  expect_failures = [var.role_path]
}

run "role_path_with_space" {
  command = plan
  variables {
    role_path = "/my team/"
  }
  expect_failures = [var.role_path]
}

run "permissions_boundary_not_a_policy_arn" {
  command = plan
  variables {
    role_permissions_boundary = "arn:aws:iam::123456789012:role/boundary"
  }
  expect_failures = [var.role_permissions_boundary]
}

run "aws_managed_permissions_boundary_is_accepted" {
  command = plan
  variables {
    role_permissions_boundary = "arn:aws:iam::aws:policy/PowerUserAccess"
    role_path                 = "/a/b/"
  }
  assert {
    condition     = aws_iam_role.lambda.permissions_boundary == "arn:aws:iam::aws:policy/PowerUserAccess" && aws_iam_role.trail[0].path == "/a/b/"
    error_message = "An AWS managed policy ARN is a valid boundary; nested paths are valid."
  }
}
