# The largest configuration that fits CloudTrail's 500 selector values (issue 10), applied against the mock
# provider rather than only planned. Without override_during = plan, every computed attribute (the module
# key's ARN among them) is unknown at plan time, as on a first real apply: the configuration document is
# then unknown too, and the number of its parameters must not depend on it (configuration.tf).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name                                 = "estate"
  slack_webhook_url_ssm_parameter_name = "/platform/estate/slack-webhook"
  alarm_actions                        = ["arn:aws:sns:us-east-1:123456789012:oncall"]
}

run "largest_configuration_470_tables_20_excluded_roles" {
  # The largest configuration that fits CloudTrail's 500 values, with table names of 40 random hex
  # characters (gzip cannot shrink those): the document is about 16.5 KB once compressed, twice what one
  # SSM parameter holds, so it is split over 5 Standard parameters. tests/unit/test_config_parts.py decides
  # records with a document of this shape read back from its parts.
  command = apply

  variables {
    table_names        = [for i in range(470) : format("%s-%s", element(["orders", "payments", "ledger", "sessions", "profiles"], i), substr(sha256(tostring(i)), 0, 40))]
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
    condition = alltrue([
      length(base64gzip(jsonencode(output.lambda_configuration))) > 8192,
      aws_lambda_function.this.environment[0].variables["ACCESS_ALERTS_CONFIG_PARTS"] == tostring(length(output.configuration_ssm_parameter_names)),
      length(output.configuration_ssm_parameter_names) == ceil(length(base64gzip(jsonencode(output.lambda_configuration))) / 4096),
      join("", [for p in slice(aws_ssm_parameter.configuration, 0, length(output.configuration_ssm_parameter_names)) : nonsensitive(p.value)]) == base64gzip(jsonencode(output.lambda_configuration)),
      alltrue([for p in aws_ssm_parameter.configuration : p.tier == "Standard" && length(nonsensitive(p.value)) <= 4096]),
      aws_lambda_function.this.environment[0].variables["ACCESS_ALERTS_CONFIG_SHA256"] == sha256(jsonencode(output.lambda_configuration)),
    ])
    error_message = "The compressed document (${length(base64gzip(jsonencode(output.lambda_configuration)))} characters) is split in order over Standard parameters of at most 4096 characters, as many as ACCESS_ALERTS_CONFIG_PARTS says, and the hash is of the whole."
  }
}
