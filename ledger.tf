# The delivery ledger (docs/delivery.md, "The ledger"): the function's only state. A small DynamoDB table in
# which the function remembers which eventIDs each destination received (so retries, redeliveries and
# redrives post nothing twice) and counts alerts inside digest windows; and the schedule that invokes the
# same function every minute to close the windows whose time is up.
#
# The table's key and TTL attribute names and the event the schedule sends come from rules.json, which the
# function reads too.

locals {
  ledger_table_name = "${var.name}-delivery-ledger"
  ledger_table_arn  = "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${local.ledger_table_name}"
  ledger_rules      = local.rules.ledger
  flush_rule_name   = "${var.name}-flush-digests"
}

resource "aws_dynamodb_table" "ledger" {
  name         = local.ledger_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = local.ledger_rules.partition_key
  range_key    = local.ledger_rules.sort_key
  # `terraform destroy` must be able to remove it: the ledger holds nothing that outlives the deployment.
  deletion_protection_enabled = false
  tags                        = local.tags

  attribute {
    name = local.ledger_rules.partition_key
    type = "S"
  }

  attribute {
    name = local.ledger_rules.sort_key
    type = "S"
  }

  # Receipts expire ledger_ttl_days after they were written, windows after they closed. TTL deletion is
  # lazy (usually within days); the function never relies on it for correctness.
  ttl {
    attribute_name = local.ledger_rules.ttl_attribute
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = local.kms_key_arn
  }

  lifecycle {
    # The rule of ledger_ttl_days: a payload redriven from the on-failure queue on its last day must still
    # find its receipts. Checked against the queue's own setting, so changing one without the other fails.
    precondition {
      condition     = var.ledger_ttl_days * 86400 > aws_sqs_queue.this.message_retention_seconds
      error_message = "ledger_ttl_days must be longer than the on-failure queue's message retention, or a redrive could post alerts a destination already received."
    }
    # The function writes the ledger on every alert: watched (by name, ARN or a family that covers it), each
    # write would log a data event that alerts, and that alert would write the ledger again.
    precondition {
      condition = !anytrue([
        for a in local.watched_table_arns : a == local.ledger_table_arn || (endswith(a, "*") && startswith(local.ledger_table_arn, trimsuffix(a, "*")))
      ])
      error_message = "table_names and table_arns must not cover the module's own delivery ledger (${local.ledger_table_name}), by name or by a family: the function's ledger writes would alert about themselves. Narrow the family or change name."
    }
  }
}

# ------------------------------------------------------------------------------------------ flush schedule
# Something must send a window's follow-up even when no further record arrives. An EventBridge rule on a
# one-minute rate invokes the function (asynchronously) with the flush event; the function then makes one
# Query on the ledger's due windows, which finds nothing when no window is open. The schedule stays when
# digest_window_minutes is 0: windows that were open when digests were turned off must still be closed.

resource "aws_cloudwatch_event_rule" "flush" {
  name                = local.flush_rule_name
  description         = "dynamodb-access-alerts: every minute, the function sends the follow-ups of the digest windows that have closed"
  schedule_expression = "rate(1 minute)"
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "flush" {
  rule      = aws_cloudwatch_event_rule.flush.name
  target_id = "flush-digest-windows"
  arn       = aws_lambda_function.this.arn
  input     = jsonencode(local.ledger_rules.flush_event)
}

resource "aws_lambda_permission" "flush" {
  statement_id   = "AllowDigestFlushSchedule"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.flush.arn
  source_account = local.account_id
}
