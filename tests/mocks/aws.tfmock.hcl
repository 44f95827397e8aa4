# Defaults for `mock_provider "aws" { source = "./tests/mocks" }`: mocked computed values must look real,
# because the provider still validates ARNs and policy JSON at plan time.

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
    arn        = "arn:aws:iam::123456789012:user/terraform-test"
    user_id    = "AIDAEXAMPLEEXAMPLE"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition          = "aws"
    dns_suffix         = "amazonaws.com"
    reverse_dns_prefix = "com.amazonaws"
  }
}

mock_data "aws_region" {
  defaults = {
    id          = "us-east-1"
    name        = "us-east-1"
    description = "US East (N. Virginia)"
    endpoint    = "ec2.us-east-1.amazonaws.com"
  }
}

mock_data "aws_iam_policy_document" {
  defaults = {
    json          = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:GetCallerIdentity\",\"Resource\":\"*\"}]}"
    minified_json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:GetCallerIdentity\",\"Resource\":\"*\"}]}"
  }
}

mock_resource "aws_kms_key" {
  defaults = {
    arn    = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    key_id = "11111111-2222-3333-4444-555555555555"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn       = "arn:aws:iam::123456789012:role/mocked-role"
    unique_id = "AROAEXAMPLEEXAMPLE"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn = "arn:aws:s3:::mocked-trail-bucket"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:/mocked/log-group"
  }
}

mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:us-east-1:123456789012:mocked-queue"
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/mocked-queue"
  }
}

mock_resource "aws_cloudtrail" {
  defaults = {
    arn = "arn:aws:cloudtrail:us-east-1:123456789012:trail/mocked"
  }
}

mock_resource "aws_lambda_function" {
  defaults = {
    arn           = "arn:aws:lambda:us-east-1:123456789012:function:mocked"
    invoke_arn    = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:mocked/invocations"
    qualified_arn = "arn:aws:lambda:us-east-1:123456789012:function:mocked:1"
  }
}

mock_resource "aws_ssm_parameter" {
  defaults = {
    arn = "arn:aws:ssm:us-east-1:123456789012:parameter/mocked"
  }
}

mock_resource "aws_cloudwatch_metric_alarm" {
  defaults = {
    arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:mocked"
  }
}

mock_resource "aws_dynamodb_table" {
  defaults = {
    arn = "arn:aws:dynamodb:us-east-1:123456789012:table/mocked"
  }
}

mock_resource "aws_scheduler_schedule" {
  defaults = {
    arn = "arn:aws:scheduler:us-east-1:123456789012:schedule/default/mocked"
  }
}

# create_trail = false: the existing log group is looked up by name prefix. By default nothing matches (a
# missing group); runs that need it to exist override the data source with its name.
mock_data "aws_cloudwatch_log_groups" {
  defaults = {
    arns            = []
    log_group_names = []
  }
}

# organization_trail = true reads the organization: by default the provider's account manages it, with all
# features and trusted access for CloudTrail (tests override these to check the plan-time messages).
mock_data "aws_organizations_organization" {
  defaults = {
    id                            = "o-exampleorg1"
    arn                           = "arn:aws:organizations::123456789012:organization/o-exampleorg1"
    master_account_id             = "123456789012"
    master_account_arn            = "arn:aws:organizations::123456789012:account/o-exampleorg1/123456789012"
    feature_set                   = "ALL"
    aws_service_access_principals = ["cloudtrail.amazonaws.com"]
  }
}

mock_resource "aws_cloudwatch_event_rule" {
  defaults = {
    arn = "arn:aws:events:us-east-1:123456789012:rule/mocked-flush-digests"
  }
}
