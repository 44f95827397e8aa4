# The key-hash secret's length check (ssm.tf's postcondition, rules.json key_hash_secret_min_length) evaluates
# on an applied parameter without tripping over its sensitive value: the plan cannot run it (uuid() is known
# only at apply), so this applies against the mock provider. A secret shortened out of band cannot be staged
# here (a mock cannot override a configured value); the function's own check has the negative tests.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name              = "unit"
  table_names       = ["orders"]
  key_values        = "hash"
  alarm_actions     = ["arn:aws:sns:us-east-1:123456789012:oncall"]
  slack_webhook_url = "https://hooks.slack.com/services/T000/B000/SECRETSECRET"
}

run "generated_secret_passes_the_length_check" {
  command = apply

  assert {
    condition     = length(nonsensitive(aws_ssm_parameter.key_hash[0].value)) == 72
    error_message = "The module writes a 72-character secret, more than rules.json's minimum."
  }
}
