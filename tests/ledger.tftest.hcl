# The delivery ledger and its flush schedule, as planned (ledger.tf, docs/delivery.md "The ledger").

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  name                                 = "unit"
  table_names                          = ["orders"]
  slack_webhook_url_ssm_parameter_name = "/platform/unit/slack-webhook"
  alarm_actions                        = ["arn:aws:sns:us-east-1:123456789012:oncall"]
}

run "ledger_table_with_the_defaults" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.ledger.name == "unit-delivery-ledger" && aws_dynamodb_table.ledger.billing_mode == "PAY_PER_REQUEST"
    error_message = "The ledger is NAME-delivery-ledger, on-demand."
  }

  assert {
    condition     = aws_dynamodb_table.ledger.hash_key == jsondecode(file("lambda_src/access_alerts/rules.json")).ledger.partition_key && aws_dynamodb_table.ledger.range_key == jsondecode(file("lambda_src/access_alerts/rules.json")).ledger.sort_key
    error_message = "The table's keys are the ones rules.json names (ledger.py reads the same file)."
  }

  assert {
    condition     = one(aws_dynamodb_table.ledger.ttl).enabled && one(aws_dynamodb_table.ledger.ttl).attribute_name == jsondecode(file("lambda_src/access_alerts/rules.json")).ledger.ttl_attribute
    error_message = "TTL is on, on the attribute rules.json names."
  }

  assert {
    condition     = one(aws_dynamodb_table.ledger.point_in_time_recovery).enabled && !aws_dynamodb_table.ledger.deletion_protection_enabled
    error_message = "Point-in-time recovery on; deletion protection off, so that destroy works."
  }

  assert {
    condition     = one(aws_dynamodb_table.ledger.server_side_encryption).enabled && one(aws_dynamodb_table.ledger.server_side_encryption).kms_key_arn == aws_kms_key.this[0].arn
    error_message = "The ledger is encrypted with the module key."
  }

  assert {
    condition     = output.lambda_configuration.ledger == { table_name = "unit-delivery-ledger", digest_window_minutes = 10, ttl_days = 15 }
    error_message = "The document names the ledger, a 10-minute digest window and 7 days of receipts by default."
  }

  assert {
    condition     = aws_cloudwatch_event_rule.flush.schedule_expression == "rate(1 minute)" && aws_cloudwatch_event_rule.flush.name == "unit-flush-digests"
    error_message = "A rule invokes the function every minute to close digest windows."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_target.flush.input) == jsondecode(file("lambda_src/access_alerts/rules.json")).ledger.flush_event && aws_cloudwatch_event_target.flush.rule == "unit-flush-digests"
    error_message = "The rule sends the flush event rules.json defines (the handler recognises the same)."
  }

  assert {
    condition     = aws_lambda_permission.flush.principal == "events.amazonaws.com" && aws_lambda_permission.flush.source_account == "123456789012"
    error_message = "Only EventBridge, for this account's rule, may invoke the function in flush mode."
  }
}

run "function_may_use_only_its_ledger" {
  command = plan

  assert {
    condition = toset(flatten([
      for s in data.aws_iam_policy_document.lambda.statement : s.resources if anytrue([for a in s.actions : startswith(a, "dynamodb:")])
    ])) == toset(["arn:aws:dynamodb:us-east-1:123456789012:table/unit-delivery-ledger"])
    error_message = "The ledger's item calls are allowed on the ledger table only."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.lambda.statement : anytrue([
        for c in s.condition : c.variable == "kms:ViaService" && tolist(c.values) == tolist(["dynamodb.us-east-1.amazonaws.com"])
      ]) if contains(s.actions, "kms:Encrypt")
    ])
    error_message = "The function may encrypt with the key only through DynamoDB."
  }

  assert {
    condition = anytrue(flatten([
      for s in data.aws_iam_policy_document.kms[0].statement : [
        for c in s.condition : contains(c.values, "unit-delivery-ledger") if c.variable == "kms:EncryptionContext:aws:dynamodb:tableName"
      ]
    ]))
    error_message = "The key policy lets the account use the key through DynamoDB for the ledger (its encryption context names the table)."
  }
}

run "digests_off_keeps_the_ledger_and_its_schedule" {
  command = plan

  variables {
    digest_window_minutes = 0
    ledger_ttl_days       = 30
  }

  assert {
    condition     = aws_cloudwatch_event_rule.flush.schedule_expression == "rate(1 minute)" && aws_lambda_permission.flush.principal == "events.amazonaws.com"
    error_message = "The schedule stays without digest windows: windows open when they were turned off must still be closed."
  }

  assert {
    condition     = output.lambda_configuration.ledger.digest_window_minutes == 0 && output.lambda_configuration.ledger.ttl_days == 30 && output.ledger_table_name == "unit-delivery-ledger"
    error_message = "The ledger still keeps repeats out; the document says digests are off."
  }
}

run "negative_window" {
  command = plan
  variables {
    digest_window_minutes = -1
  }
  expect_failures = [var.digest_window_minutes]
}

run "fractional_window" {
  command = plan
  variables {
    digest_window_minutes = 2.5
  }
  expect_failures = [var.digest_window_minutes]
}

run "window_longer_than_a_day" {
  command = plan
  variables {
    digest_window_minutes = 1441
  }
  expect_failures = [var.digest_window_minutes]
}

run "ledger_ttl_zero" {
  command = plan
  variables {
    ledger_ttl_days = 0
  }
  expect_failures = [var.ledger_ttl_days]
}

run "ledger_ttl_over_a_year" {
  command = plan
  variables {
    ledger_ttl_days = 366
  }
  expect_failures = [var.ledger_ttl_days]
}

run "ledger_ttl_not_longer_than_the_queue_keeps_payloads" {
  command = plan
  variables {
    ledger_ttl_days = 14
  }
  expect_failures = [var.ledger_ttl_days]
}

run "the_ledger_is_not_a_watched_table" {
  command = plan
  variables {
    table_names = ["orders", "unit-delivery-ledger"]
  }
  expect_failures = [aws_dynamodb_table.ledger]
}

run "ledger_and_flush_rule_are_pipeline_resources" {
  command = plan

  assert {
    condition     = tolist(output.lambda_configuration.pipeline.table_names) == tolist(["unit-delivery-ledger"]) && tolist(output.lambda_configuration.pipeline.rule_names) == tolist([aws_cloudwatch_event_rule.flush.name])
    error_message = "The document names the ledger and its flush rule as pipeline resources (changing them is tamper)."
  }

  assert {
    condition     = strcontains(output.subscription_filter_pattern, "events.amazonaws.com")
    error_message = "The subscription filter forwards EventBridge events (rules.json pipeline.event_sources), so changes to the flush rule reach the function."
  }
}

run "no_family_covers_the_ledger" {
  command = plan
  variables {
    table_names = ["orders", "unit-*"]
  }
  expect_failures = [aws_dynamodb_table.ledger]
}
