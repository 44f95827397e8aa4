# organization_trail = true: the module's trail logs every account of the organization. Checked at plan time:
# the trail's flag, the bucket and role grants for the member accounts' log files and streams, and the
# combinations that cannot work (no trail of our own, a provider outside the management account, no trusted
# access for CloudTrail). Offline: every AWS call is mocked (tests/mocks); the mocked organization is
# o-exampleorg1, managed by the provider's account 123456789012.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  name                                 = "unit"
  table_names                          = ["orders"]
  allowed_role_arns                    = ["arn:aws:iam::123456789012:role/orders-service"]
  allowed_management_role_arns         = ["arn:aws:iam::123456789012:role/platform-deployer"]
  slack_webhook_url_ssm_parameter_name = "/platform/unit/slack-webhook"
  alarm_actions                        = ["arn:aws:sns:us-east-1:123456789012:oncall"]
}

run "default_is_an_account_trail" {
  command = plan

  assert {
    condition     = aws_cloudtrail.this[0].is_organization_trail == false && length(data.aws_organizations_organization.this) == 0
    error_message = "By default the trail is not an organization trail and the organization is not read (no Organizations permissions needed)."
  }

  assert {
    condition     = !anytrue([for s in data.aws_iam_policy_document.bucket[0].statement : s.sid == "CloudTrailWriteOrganization"])
    error_message = "Without an organization trail the bucket admits only this account's log files."
  }
}

run "organization_trail_sets_the_flags" {
  command = plan

  variables {
    organization_trail = true
    account_names      = { "123456789012" = "management", "210987654321" = "payments-prod" }
  }

  assert {
    condition     = aws_cloudtrail.this[0].is_organization_trail == true
    error_message = "organization_trail = true must make the module's trail an organization trail."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.bucket[0].statement : s.resources if s.sid == "CloudTrailWriteOrganization"
    ] == [toset(["arn:aws:s3:::mocked-trail-bucket/AWSLogs/o-exampleorg1/*"])]
    error_message = "The bucket must admit the member accounts' log files under AWSLogs/ORGID/."
  }

  assert {
    condition = flatten([
      for s in data.aws_iam_policy_document.bucket[0].statement : [
        for c in s.condition : tolist(c.values) if c.variable == "aws:SourceArn"
      ] if s.sid == "CloudTrailWriteOrganization"
    ]) == ["arn:aws:cloudtrail:us-east-1:123456789012:trail/unit"]
    error_message = "The organization statement must still be bound to this trail (aws:SourceArn)."
  }

  assert {
    condition     = contains(flatten([for s in data.aws_iam_policy_document.trail[0].statement : s.resources]), "arn:aws:logs:us-east-1:123456789012:log-group:/mocked/log-group:log-stream:o-exampleorg1_*")
    error_message = "CloudTrail's role must be able to write the member accounts' streams (ORGID_*) of the trail's log group."
  }

  assert {
    condition     = jsonencode(terraform_data.configuration.input.account_names) == jsonencode({ "123456789012" = "management", "210987654321" = "payments-prod" })
    error_message = "account_names must reach the configuration document."
  }
}

run "organization_trail_needs_our_own_trail" {
  command = plan

  variables {
    organization_trail      = true
    create_trail            = false
    existing_log_group_name = "/platform/org-trail"
  }

  override_data {
    target = data.aws_cloudwatch_log_groups.existing[0]
    values = {
      log_group_names = ["/platform/org-trail"]
      arns            = ["arn:aws:logs:us-east-1:123456789012:log-group:/platform/org-trail"]
    }
  }

  expect_failures = [data.aws_organizations_organization.this]
}

run "organization_trail_outside_the_management_account" {
  command = plan

  variables {
    organization_trail = true
  }

  override_data {
    target = data.aws_organizations_organization.this[0]
    values = {
      id                            = "o-exampleorg1"
      master_account_id             = "999999999999"
      feature_set                   = "ALL"
      aws_service_access_principals = ["cloudtrail.amazonaws.com"]
    }
  }

  expect_failures = [data.aws_organizations_organization.this]
}

run "organization_trail_without_trusted_access" {
  command = plan

  variables {
    organization_trail = true
  }

  override_data {
    target = data.aws_organizations_organization.this[0]
    values = {
      id                            = "o-exampleorg1"
      master_account_id             = "123456789012"
      feature_set                   = "ALL"
      aws_service_access_principals = ["config.amazonaws.com"]
    }
  }

  expect_failures = [data.aws_organizations_organization.this]
}

run "account_names_must_be_account_ids" {
  command = plan

  variables {
    account_names = { "payments" = "payments-prod" }
  }

  expect_failures = [var.account_names]
}

run "account_names_must_be_plain_text" {
  command = plan

  variables {
    account_names = { "210987654321" = "line\nbreak" }
  }

  expect_failures = [var.account_names]
}

# -- member accounts' tables ----------------------------------------------------------------------------

run "organization_trail_accepts_member_account_tables" {
  command = plan

  variables {
    organization_trail = true
    table_arns = [
      "arn:aws:dynamodb:us-east-1:210987654321:table/payments",
      "arn:aws:dynamodb:us-east-1:444455556666:table/tenant-*",
    ]
  }

  assert {
    condition = toset(output.lambda_configuration.tables) == toset([
      "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
      "arn:aws:dynamodb:us-east-1:210987654321:table/payments",
      "arn:aws:dynamodb:us-east-1:444455556666:table/tenant-*",
    ])
    error_message = "The document must list the member accounts' tables beside the management account's own."
  }

  assert {
    condition = contains(flatten([
      for s in aws_cloudtrail.this[0].advanced_event_selector : [
        for f in s.field_selector : coalesce(f.equals, []) if f.field == "resources.ARN"
      ]
    ]), "arn:aws:dynamodb:us-east-1:210987654321:table/payments")
    error_message = "The organization trail must select the member account's table by its ARN."
  }

  assert {
    condition = contains(flatten([
      for s in aws_cloudtrail.this[0].advanced_event_selector : [
        for f in s.field_selector : coalesce(f.starts_with, []) if f.field == "resources.ARN"
      ]
    ]), "arn:aws:dynamodb:us-east-1:444455556666:table/tenant-")
    error_message = "A member account's family must be selected by its ARN prefix."
  }

  assert {
    condition     = aws_cloudtrail.this[0].is_multi_region_trail == false
    error_message = "Member accounts' tables in the home Region need no multi-Region trail."
  }
}

run "member_account_tables_need_an_organization_trail" {
  command = plan

  variables {
    table_arns = ["arn:aws:dynamodb:us-east-1:210987654321:table/payments"]
  }

  expect_failures = [terraform_data.configuration]
}

run "organization_trail_stays_in_its_partition" {
  command = plan

  variables {
    organization_trail = true
    table_arns         = ["arn:aws-us-gov:dynamodb:us-gov-west-1:210987654321:table/payments"]
  }

  expect_failures = [terraform_data.configuration]
}

run "existing_organization_trail_log_group_accepts_member_tables" {
  command = plan

  variables {
    create_trail            = false
    existing_log_group_name = "/org/cloudtrail"
    table_arns              = ["arn:aws:dynamodb:us-east-1:210987654321:table/payments"]
  }

  override_data {
    target = data.aws_cloudwatch_log_groups.existing[0]
    values = {
      log_group_names = ["/org/cloudtrail"]
      arns            = ["arn:aws:logs:us-east-1:123456789012:log-group:/org/cloudtrail"]
    }
  }

  assert {
    condition     = contains(output.lambda_configuration.tables, "arn:aws:dynamodb:us-east-1:210987654321:table/payments")
    error_message = "With an existing (organization) trail's log group, member accounts' tables are accepted."
  }
}
