# The function's environment, secrets handling, permissions and async configuration, as planned.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  name                         = "unit"
  table_names                  = ["orders"]
  allowed_role_arns            = ["arn:aws:iam::123456789012:role/orders-service"]
  allowed_management_role_arns = ["arn:aws:iam::123456789012:role/deployer"]
  slack_webhook_url            = "https://hooks.slack.com/services/T000/B000/SECRETSECRET"
  # Alarms that notify nobody make every plan warn (canary.tf); these tests are not about that.
  alarm_actions = ["arn:aws:sns:us-east-1:123456789012:oncall"]
}

run "environment_names_only_the_configuration_document" {
  command = plan

  variables {
    key_values = "hash"
  }

  assert {
    condition     = toset(keys(aws_lambda_function.this.environment[0].variables)) == toset(["ACCESS_ALERTS_CONFIG_PARAMETER", "ACCESS_ALERTS_CONFIG_PARTS", "ACCESS_ALERTS_CONFIG_SHA256"])
    error_message = "The environment must hold only where the configuration document is (parameters and parts) and the document's hash."
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["ACCESS_ALERTS_CONFIG_PARAMETER"] == "/dynamodb-access-alerts/unit/configuration" && aws_lambda_function.this.environment[0].variables["ACCESS_ALERTS_CONFIG_PARTS"] == "1" && aws_ssm_parameter.configuration[*].name == [for n in range(1, 9) : "/dynamodb-access-alerts/unit/configuration-${n}"]
    error_message = "The function must be pointed at the module's configuration parameters NAME-1 ... NAME-8, a small document in one part."
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["ACCESS_ALERTS_CONFIG_SHA256"] == sha256(jsonencode(output.lambda_configuration)) && can(regex("^[0-9a-f]{64}$", aws_lambda_function.this.environment[0].variables["ACCESS_ALERTS_CONFIG_SHA256"]))
    error_message = "ACCESS_ALERTS_CONFIG_SHA256 must be the hex sha256 of jsonencode(document)."
  }

  assert {
    condition     = !strcontains(jsonencode(aws_lambda_function.this.environment[0].variables), "hooks.slack.com") && !strcontains(jsonencode(aws_lambda_function.this.environment[0].variables), "SECRETSECRET")
    error_message = "The webhook URL must never be in the Lambda environment."
  }

  assert {
    condition     = aws_ssm_parameter.webhook[0].type == "SecureString" && aws_ssm_parameter.webhook[0].key_id == "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    error_message = "The webhook URL must be a SecureString under the module's key."
  }

  assert {
    condition     = aws_lambda_function.this.handler == "access_alerts.handler.lambda_handler" && aws_lambda_function.this.runtime == "python3.12" && aws_lambda_function.this.logging_config[0].log_format == "JSON"
    error_message = "Handler, default runtime and JSON logs."
  }

  assert {
    condition     = aws_lambda_function.this.source_code_hash == filebase64sha256("${path.module}/lambda_src/access_alerts.zip")
    error_message = "source_code_hash must follow the committed zip."
  }
}

run "configuration_document_content" {
  command = plan

  variables {
    table_names = ["orders", "payments"]
    key_values  = "hash"
  }

  assert {
    condition = sort(keys(output.lambda_configuration)) == tolist([
      "account_names", "allowed", "allowed_management", "canary", "default_destinations", "destinations", "home",
      "key_hash_parameter", "key_values", "ledger", "name", "pipeline", "routes", "tables", "version",
      "watch_pipeline", "watch_table_management",
    ])
    error_message = "The document must carry exactly the fields of version 1 (docs/configuration-document.md)."
  }

  assert {
    condition     = output.lambda_configuration.version == 1 && output.lambda_configuration.name == "unit"
    error_message = "Version 1, named after the deployment."
  }

  assert {
    condition = tolist(output.lambda_configuration.tables) == tolist([
      "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
      "arn:aws:dynamodb:us-east-1:123456789012:table/payments",
    ])
    error_message = "tables must be the watched tables' ARNs."
  }

  assert {
    condition     = tolist(output.lambda_configuration.allowed) == tolist(["arn:aws:iam::123456789012:role/orders-service"]) && tolist(output.lambda_configuration.allowed_management) == tolist(["arn:aws:iam::123456789012:role/deployer"])
    error_message = "Both allow-lists must be in the document as given."
  }

  assert {
    condition     = output.lambda_configuration.watch_pipeline == true && output.lambda_configuration.watch_table_management == true
    error_message = "Watch switches are booleans (true by default)."
  }

  assert {
    condition     = output.lambda_configuration.key_values == "hash" && output.lambda_configuration.key_hash_parameter == "/dynamodb-access-alerts/unit/key-hash-secret"
    error_message = "key_values = hash names the secret's parameter."
  }

  assert {
    condition     = keys(output.lambda_configuration.destinations) == ["default"] && output.lambda_configuration.destinations.default.type == "slack_webhook" && output.lambda_configuration.destinations.default.url_parameter == "/dynamodb-access-alerts/unit/slack-webhook-url" && tolist(output.lambda_configuration.default_destinations) == tolist(["default"]) && length(output.lambda_configuration.routes) == 0
    error_message = "One slack_webhook destination named default, by parameter; it is the default destination; no routes."
  }

  assert {
    condition     = !strcontains(jsonencode(output.lambda_configuration), "hooks.slack.com") && !strcontains(jsonencode(output.lambda_configuration), "SECRETSECRET")
    error_message = "No secret may be written into the document."
  }

  assert {
    condition = jsonencode(output.lambda_configuration.pipeline) == jsonencode({
      trail_arn           = "arn:aws:cloudtrail:us-east-1:123456789012:trail/unit"
      trail_bucket        = "unit-trail-123456789012-us-east-1"
      log_group_names     = ["/aws/cloudtrail/unit", "/aws/lambda/unit"]
      function_name       = "unit"
      queue_arn           = "arn:aws:sqs:us-east-1:123456789012:unit-failed-alerts"
      kms_key_arns        = ["arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"]
      ssm_parameter_names = concat([for n in range(1, 9) : "/dynamodb-access-alerts/unit/configuration-${n}"], ["/dynamodb-access-alerts/unit/slack-webhook-url", "/dynamodb-access-alerts/unit/key-hash-secret"])
      alarm_names         = ["unit-undelivered-alerts", "unit-function-errors", "unit-canary-silent"]
      schedule_names      = ["unit-access-alerts-canary"]
      role_names          = ["unit-lambda", "unit-cloudtrail-logs", "unit-canary"]
      table_names         = ["unit-delivery-ledger"]
      rule_names          = ["unit-flush-digests"]
    })
    error_message = "The pipeline's resources (configuration parameter included, so changing it is tamper)."
  }

  assert {
    condition     = terraform_data.configuration.input == output.lambda_configuration
    error_message = "The plan must show the document in clear (terraform_data.configuration)."
  }

  assert {
    condition     = nonsensitive(aws_ssm_parameter.configuration[0].value) == base64gzip(jsonencode(output.lambda_configuration)) && alltrue([for p in slice(aws_ssm_parameter.configuration, 1, 8) : nonsensitive(p.value) == "unused"])
    error_message = "The first parameter stores base64gzip(jsonencode(document)); the unused ones say so."
  }

  assert {
    condition     = alltrue([for p in aws_ssm_parameter.configuration : p.type == "SecureString" && p.key_id == "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555" && p.tier == "Standard"])
    error_message = "Every part is a Standard SecureString under the module's key."
  }
}

run "key_values_show_is_the_default_and_needs_no_secret" {
  command = plan

  assert {
    condition     = output.lambda_configuration.key_values == "show" && output.lambda_configuration.key_hash_parameter == null
    error_message = "key_values defaults to show, without a secret's parameter."
  }

  assert {
    condition     = length(aws_ssm_parameter.key_hash) == 0 && tolist(output.lambda_configuration.pipeline.ssm_parameter_names) == tolist(concat([for n in range(1, 9) : "/dynamodb-access-alerts/unit/configuration-${n}"], ["/dynamodb-access-alerts/unit/slack-webhook-url"]))
    error_message = "No hash secret unless key_values = hash."
  }
}

run "document_over_4096_characters_takes_two_standard_parts" {
  # 100 management patterns with 60 random hex characters each: about 5.2 KB once compressed.
  command = plan

  variables {
    allowed_management_role_arns = [for i in range(100) : format("arn:aws:iam::123456789012:role/%s", substr(sha256(tostring(i)), 0, 60))]
  }

  assert {
    condition = alltrue([
      length(nonsensitive(aws_ssm_parameter.configuration[0].value)) == 4096,
      length(nonsensitive(aws_ssm_parameter.configuration[1].value)) > 0,
      join("", [for p in slice(aws_ssm_parameter.configuration, 0, 2) : nonsensitive(p.value)]) == base64gzip(jsonencode(output.lambda_configuration)),
      aws_lambda_function.this.environment[0].variables["ACCESS_ALERTS_CONFIG_PARTS"] == "2",
      alltrue([for p in aws_ssm_parameter.configuration : p.tier == "Standard"]),
    ])
    error_message = "Above 4096 characters the document continues in part 2 (both Standard); the function is told to read 2 parts."
  }

  assert {
    condition     = output.configuration_ssm_parameter_names == ["/dynamodb-access-alerts/unit/configuration-1", "/dynamodb-access-alerts/unit/configuration-2"]
    error_message = "The output names the parts in use, in order."
  }
}

run "document_over_32_kb_takes_advanced_parts_of_8192" {
  # 700 management patterns of 64 random hex characters: about 40 KB once compressed, more than 8 Standard
  # parts hold.
  command = plan

  variables {
    allowed_management_role_arns = [for i in range(700) : format("arn:aws:iam::123456789012:role/%s", sha256(tostring(i)))]
  }

  assert {
    condition = alltrue([
      length(nonsensitive(aws_ssm_parameter.configuration[0].value)) == 8192 && aws_ssm_parameter.configuration[0].tier == "Advanced",
      join("", [for p in slice(aws_ssm_parameter.configuration, 0, tonumber(aws_lambda_function.this.environment[0].variables["ACCESS_ALERTS_CONFIG_PARTS"])) : nonsensitive(p.value)]) == base64gzip(jsonencode(output.lambda_configuration)),
      tonumber(aws_lambda_function.this.environment[0].variables["ACCESS_ALERTS_CONFIG_PARTS"]) == ceil(length(base64gzip(jsonencode(output.lambda_configuration))) / 8192),
    ])
    error_message = "Above 32 KB the parts hold 8192 characters each (Advanced) and the function reads as many as hold data."
  }
}

run "large_estate_fits_in_a_standard_parameter" {
  # 490 tables of a family-like naming scheme: the document is about 33 KB of JSON, 2.4 KB stored.
  command = plan

  variables {
    table_names       = [for i in range(490) : format("tenant-%04d-orders", i)]
    allowed_role_arns = []
    watch_pipeline    = false
  }

  assert {
    condition     = length(output.lambda_configuration.tables) == 490 && aws_lambda_function.this.environment[0].variables["ACCESS_ALERTS_CONFIG_PARTS"] == "1"
    error_message = "The configuration no longer limits the number of tables below CloudTrail's own limit."
  }
}

run "user_managed_webhook_parameter" {
  command = plan

  variables {
    slack_webhook_url                           = null
    slack_webhook_url_ssm_parameter_name        = "/platform/prod/dynamodb-access-alerts/slack-webhook"
    slack_webhook_url_ssm_parameter_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/99999999-8888-7777-6666-555555555555"
    key_values                                  = "hash"
  }

  assert {
    condition     = length(aws_ssm_parameter.webhook) == 0 && output.lambda_configuration.destinations.default.url_parameter == "/platform/prod/dynamodb-access-alerts/slack-webhook"
    error_message = "A user-managed parameter is referenced, not created."
  }

  assert {
    condition = toset(flatten([
      for s in data.aws_iam_policy_document.lambda.statement : s.resources if contains(s.actions, "ssm:GetParameter")
      ])) == toset([
      for p in concat([for n in range(1, 9) : "dynamodb-access-alerts/unit/configuration-${n}"], ["platform/prod/dynamodb-access-alerts/slack-webhook", "dynamodb-access-alerts/unit/key-hash-secret"]) :
      "arn:aws:ssm:us-east-1:123456789012:parameter/${p}"
    ])
    error_message = "The function may read exactly its parameters: the document's 8 parts, the webhook and the hash secret."
  }

  assert {
    condition = toset(flatten([
      for s in data.aws_iam_policy_document.lambda.statement : [
        for c in s.condition : c.values if c.variable == "kms:EncryptionContext:PARAMETER_ARN"
      ] if s.sid == "DecryptOwnParameters"
      ])) == toset([
      for p in concat([for n in range(1, 9) : "configuration-${n}"], ["key-hash-secret"]) :
      "arn:aws:ssm:us-east-1:123456789012:parameter/dynamodb-access-alerts/unit/${p}"
    ])
    error_message = "The module's key may decrypt, for the function, only the parameters it encrypts (not the user's)."
  }

  assert {
    condition     = contains(flatten([for s in data.aws_iam_policy_document.lambda.statement : s.resources if s.sid == "DecryptUserWebhookParameter"]), "arn:aws:kms:us-east-1:123456789012:key/99999999-8888-7777-6666-555555555555")
    error_message = "The function must be allowed to decrypt the user's parameter with the user's key."
  }
}

run "least_privilege_without_wildcards" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for d in [data.aws_iam_policy_document.lambda, data.aws_iam_policy_document.trail[0], data.aws_iam_policy_document.canary[0]] : [
        for s in d.statement : [for a in s.actions : !strcontains(a, "*")]
      ]
    ]))
    error_message = "No IAM action of the function's, CloudTrail's or the canary's role may contain a wildcard."
  }

  assert {
    condition = alltrue(flatten([
      for d in [data.aws_iam_policy_document.lambda, data.aws_iam_policy_document.trail[0], data.aws_iam_policy_document.canary[0]] : [
        for s in d.statement : [for r in s.resources : r != "*"]
      ]
    ]))
    error_message = "Every IAM statement of the module's roles must name its resources."
  }

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.kms[0].statement : alltrue([for a in s.actions : !strcontains(a, "*")])])
    error_message = "The key policy lists actions explicitly (no kms:*)."
  }

  assert {
    condition = toset(flatten([
      for s in data.aws_iam_policy_document.lambda.statement : s.actions
    ])) == toset(["logs:CreateLogStream", "logs:PutLogEvents", "ssm:GetParameter", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "sqs:SendMessage", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"])
    error_message = "The function may only write its logs, read its parameters, use the key (through SSM, SQS and DynamoDB), send to its queue and make the ledger's item calls."
  }

  assert {
    condition     = data.aws_iam_policy_document.trail[0].statement[0].resources == toset(["arn:aws:logs:us-east-1:123456789012:log-group:/mocked/log-group:log-stream:123456789012_CloudTrail_us-east-1*"])
    error_message = "CloudTrail may write only its own streams (ACCOUNT_CloudTrail_REGION*) of its own log group."
  }
}

run "async_invocation_and_failure_queue" {
  command = plan

  variables {
    lambda_maximum_retry_attempts       = 1
    lambda_maximum_event_age_in_seconds = 3600
    lambda_reserved_concurrency         = 3
    alarm_actions                       = ["arn:aws:sns:us-east-1:123456789012:oncall"]
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.this.maximum_retry_attempts == 1 && aws_lambda_function_event_invoke_config.this.maximum_event_age_in_seconds == 3600
    error_message = "Retries and maximum event age come from the variables."
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.this.destination_config[0].on_failure[0].destination == "arn:aws:sqs:us-east-1:123456789012:mocked-queue"
    error_message = "Failed invocations go to the queue."
  }

  assert {
    condition     = aws_sqs_queue.this.message_retention_seconds == 1209600 && aws_sqs_queue.this.kms_master_key_id != null
    error_message = "The queue keeps messages 14 days, encrypted."
  }

  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 3
    error_message = "Reserved concurrency comes from the variable."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.queue.alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:oncall"]) && aws_cloudwatch_metric_alarm.queue.metric_name == "ApproximateNumberOfMessagesVisible" && aws_cloudwatch_metric_alarm.errors.metric_name == "Errors"
    error_message = "Both alarms notify the given topics."
  }

  assert {
    condition     = aws_lambda_permission.this.principal == "logs.amazonaws.com" && aws_lambda_permission.this.source_arn == "arn:aws:logs:us-east-1:123456789012:log-group:/aws/cloudtrail/unit:*"
    error_message = "Only the trail's log group may invoke the function."
  }
}

run "own_kms_key_given" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/abcdefab-0000-1111-2222-333333333333"
  }

  assert {
    condition     = length(aws_kms_key.this) == 0 && aws_cloudtrail.this[0].kms_key_id == "arn:aws:kms:us-east-1:123456789012:key/abcdefab-0000-1111-2222-333333333333" && aws_cloudwatch_log_group.trail[0].kms_key_id == aws_cloudtrail.this[0].kms_key_id && aws_sqs_queue.this.kms_master_key_id == aws_cloudtrail.this[0].kms_key_id
    error_message = "A given key replaces the module's key everywhere."
  }
}

run "tags_on_everything" {
  command = plan

  variables {
    tags = { CostCenter = "sec-42" }
  }

  assert {
    condition = alltrue([
      for t in [aws_cloudtrail.this[0].tags, aws_s3_bucket.this[0].tags, aws_lambda_function.this.tags, aws_sqs_queue.this.tags,
        aws_cloudwatch_log_group.trail[0].tags, aws_cloudwatch_log_group.lambda.tags, aws_iam_role.lambda.tags, aws_iam_role.trail[0].tags,
      aws_kms_key.this[0].tags, aws_ssm_parameter.webhook[0].tags, aws_cloudwatch_metric_alarm.queue.tags] : t["CostCenter"] == "sec-42"
    ])
    error_message = "Tags must reach every taggable resource."
  }
}

run "roles_default_to_root_path_without_boundary" {
  command = plan

  assert {
    condition     = alltrue([for r in [aws_iam_role.lambda, aws_iam_role.trail[0]] : r.path == "/" && r.permissions_boundary == null])
    error_message = "By default the roles live at / without a permissions boundary."
  }
}

run "permissions_boundary_and_path_on_every_role" {
  # Every aws_iam_role of the module is listed here: a new role must be added (and given both settings).
  command = plan

  variables {
    role_path                 = "/security/alerting/"
    role_permissions_boundary = "arn:aws:iam::123456789012:policy/boundaries/workload-boundary"
  }

  assert {
    condition = alltrue([
      for r in [aws_iam_role.lambda, aws_iam_role.trail[0]] :
      r.path == "/security/alerting/" && r.permissions_boundary == "arn:aws:iam::123456789012:policy/boundaries/workload-boundary"
    ])
    error_message = "role_path and role_permissions_boundary must reach every role the module creates."
  }
}

run "renamed_outputs_name_the_on_failure_queue" {
  command = plan

  assert {
    condition     = output.on_failure_queue_arn == "arn:aws:sqs:us-east-1:123456789012:mocked-queue" && output.on_failure_queue_url == "https://sqs.us-east-1.amazonaws.com/123456789012/mocked-queue"
    error_message = "on_failure_queue_arn/url must name the function's on-failure queue."
  }

  assert {
    condition     = output.on_failure_queue_arn == aws_lambda_function_event_invoke_config.this.destination_config[0].on_failure[0].destination
    error_message = "The output must be the queue the function's failures go to."
  }
}
