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
}

run "environment_follows_the_contract" {
  command = plan

  variables {
    key_values = "hash"
  }

  assert {
    condition = toset(keys(aws_lambda_function.this.environment[0].variables)) == toset([
      "ACCESS_ALERTS_NAME", "ACCESS_ALERTS_TABLES", "ACCESS_ALERTS_ALLOWED", "ACCESS_ALERTS_ALLOWED_MANAGEMENT",
      "ACCESS_ALERTS_WATCH_PIPELINE", "ACCESS_ALERTS_WATCH_TABLE_MANAGEMENT", "ACCESS_ALERTS_PIPELINE",
      "ACCESS_ALERTS_KEY_VALUES", "ACCESS_ALERTS_WEBHOOK_SSM_PARAMETER", "ACCESS_ALERTS_KEY_HASH_SSM_PARAMETER",
    ])
    error_message = "The environment must hold exactly the contract's ACCESS_ALERTS_* variables (with key_values = hash)."
  }

  assert {
    condition     = tolist(jsondecode(aws_lambda_function.this.environment[0].variables["ACCESS_ALERTS_TABLES"])) == tolist(["arn:aws:dynamodb:us-east-1:123456789012:table/orders"])
    error_message = "ACCESS_ALERTS_TABLES must be a JSON list of the table ARNs."
  }

  assert {
    condition     = tolist(jsondecode(aws_lambda_function.this.environment[0].variables["ACCESS_ALERTS_ALLOWED_MANAGEMENT"])) == tolist(["arn:aws:iam::123456789012:role/deployer"])
    error_message = "ACCESS_ALERTS_ALLOWED_MANAGEMENT must be a JSON list of the management allow-list."
  }

  assert {
    condition = sort(keys(jsondecode(aws_lambda_function.this.environment[0].variables["ACCESS_ALERTS_PIPELINE"]))) == tolist([
      "function_name", "kms_key_arn", "log_group_names", "queue_arn", "ssm_parameter_names", "trail_arn", "trail_bucket",
    ])
    error_message = "ACCESS_ALERTS_PIPELINE must carry exactly the fields of model.PipelineResources."
  }

  assert {
    condition     = jsondecode(aws_lambda_function.this.environment[0].variables["ACCESS_ALERTS_PIPELINE"]).function_name == "unit" && tolist(jsondecode(aws_lambda_function.this.environment[0].variables["ACCESS_ALERTS_PIPELINE"]).ssm_parameter_names) == tolist(["/dynamodb-access-alerts/unit/slack-webhook-url", "/dynamodb-access-alerts/unit/key-hash-secret"])
    error_message = "The pipeline description must name the function and both parameters."
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

run "key_values_show_is_the_default_and_needs_no_secret" {
  command = plan

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["ACCESS_ALERTS_KEY_VALUES"] == "show"
    error_message = "key_values defaults to show (issue 2)."
  }

  assert {
    condition     = length(aws_ssm_parameter.key_hash) == 0 && !contains(keys(aws_lambda_function.this.environment[0].variables), "ACCESS_ALERTS_KEY_HASH_SSM_PARAMETER")
    error_message = "No hash secret (parameter or variable) unless key_values = hash."
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
    condition     = length(aws_ssm_parameter.webhook) == 0 && aws_lambda_function.this.environment[0].variables["ACCESS_ALERTS_WEBHOOK_SSM_PARAMETER"] == "/platform/prod/dynamodb-access-alerts/slack-webhook"
    error_message = "A user-managed parameter is referenced, not created."
  }

  assert {
    condition = toset(flatten([
      for s in data.aws_iam_policy_document.lambda.statement : s.resources if contains(s.actions, "ssm:GetParameter")
      ])) == toset([
      "arn:aws:ssm:us-east-1:123456789012:parameter/platform/prod/dynamodb-access-alerts/slack-webhook",
      "arn:aws:ssm:us-east-1:123456789012:parameter/dynamodb-access-alerts/unit/key-hash-secret",
    ])
    error_message = "The function may read exactly its two parameters."
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
      for d in [data.aws_iam_policy_document.lambda, data.aws_iam_policy_document.trail] : [
        for s in d.statement : [for a in s.actions : !strcontains(a, "*")]
      ]
    ]))
    error_message = "No IAM action of the function's or CloudTrail's role may contain a wildcard."
  }

  assert {
    condition = alltrue(flatten([
      for d in [data.aws_iam_policy_document.lambda, data.aws_iam_policy_document.trail] : [
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
    ])) == toset(["logs:CreateLogStream", "logs:PutLogEvents", "ssm:GetParameter", "kms:Decrypt", "kms:GenerateDataKey", "sqs:SendMessage"])
    error_message = "The function may only write its logs, read its parameters, decrypt with the key and send to its queue."
  }

  assert {
    condition     = data.aws_iam_policy_document.trail.statement[0].resources == toset(["arn:aws:logs:us-east-1:123456789012:log-group:/mocked/log-group:log-stream:*"])
    error_message = "CloudTrail may write only the streams of its own log group."
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
    condition     = aws_lambda_permission.this.principal == "logs.amazonaws.com" && aws_lambda_permission.this.source_arn == "arn:aws:logs:us-east-1:123456789012:log-group:/mocked/log-group:*"
    error_message = "Only the trail's log group may invoke the function."
  }
}

run "own_kms_key_given" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/abcdefab-0000-1111-2222-333333333333"
  }

  assert {
    condition     = length(aws_kms_key.this) == 0 && aws_cloudtrail.this.kms_key_id == "arn:aws:kms:us-east-1:123456789012:key/abcdefab-0000-1111-2222-333333333333" && aws_cloudwatch_log_group.trail.kms_key_id == aws_cloudtrail.this.kms_key_id && aws_sqs_queue.this.kms_master_key_id == aws_cloudtrail.this.kms_key_id
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
      for t in [aws_cloudtrail.this.tags, aws_s3_bucket.this.tags, aws_lambda_function.this.tags, aws_sqs_queue.this.tags,
        aws_cloudwatch_log_group.trail.tags, aws_cloudwatch_log_group.lambda.tags, aws_iam_role.lambda.tags, aws_iam_role.trail.tags,
      aws_kms_key.this[0].tags, aws_ssm_parameter.webhook[0].tags, aws_cloudwatch_metric_alarm.queue.tags] : t["CostCenter"] == "sec-42"
    ])
    error_message = "Tags must reach every taggable resource."
  }
}
