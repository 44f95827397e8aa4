# Destinations and routes: the document, least-privilege IAM per destination, routing_summary, and every
# bad input failing at plan time with a clear message (docs/destinations.md).

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  name                                 = "unit"
  table_names                          = ["orders"]
  slack_webhook_url_ssm_parameter_name = "/platform/unit/slack-webhook"
  destinations = {
    oncall = { type = "slack_app", token_parameter = "/platform/unit/slack-token", channel = "C0123456789", mention_on_tamper = true }
    orders = { type = "teams", url_parameter = "/orders/teams-url", kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-1111-2222-3333-444444444444" }
    siem   = { type = "webhook", url_parameter = "/security/siem-url", secret_parameter = "/security/siem-secret" }
    pager  = { type = "sns", topic_arn = "arn:aws:sns:eu-west-1:123456789012:pager", kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/bbbbbbbb-1111-2222-3333-444444444444" }
  }
  routes = [
    { name = "orders-tables", tables = ["orders*"], destinations = ["orders"] },
    { name = "writes", access = ["write"], kinds = ["data"], destinations = ["siem"] },
    { name = "control", kinds = ["control_plane", "tamper"], destinations = ["pager", "oncall"] },
  ]
  default_destinations = ["default", "oncall"]
  alarm_actions        = ["arn:aws:sns:us-east-1:123456789012:oncall"]
}

run "document_carries_destinations_routes_and_defaults" {
  command = plan

  assert {
    condition     = output.lambda_configuration.destinations.default.type == "slack_webhook" && output.lambda_configuration.destinations.default.url_parameter == "/platform/unit/slack-webhook"
    error_message = "The shorthand must be the destination named default."
  }
  assert {
    condition     = output.lambda_configuration.destinations.oncall.mention_on_tamper == true && output.lambda_configuration.destinations.oncall.channel == "C0123456789"
    error_message = "slack_app fields must reach the document with their types (mention_on_tamper a bool)."
  }
  assert {
    condition     = length(output.lambda_configuration.routes) == 3 && jsonencode(output.lambda_configuration.routes[0]) == jsonencode({ access = [], accounts = [], destinations = ["orders"], kinds = [], name = "orders-tables", tables = ["orders*"] })
    error_message = "Routes must reach the document with every list present."
  }
  assert {
    condition     = jsonencode(output.lambda_configuration.default_destinations) == jsonencode(["default", "oncall"])
    error_message = "default_destinations must reach the document."
  }
  assert {
    condition     = !strcontains(jsonencode(output.lambda_configuration), "xoxb")
    error_message = "No secret value may be in the document."
  }
}

run "function_reads_exactly_the_destinations_parameters" {
  command = plan

  assert {
    condition = toset(flatten([for st in data.aws_iam_policy_document.lambda.statement : st.resources if contains(st.actions, "ssm:GetParameter")])) == toset([
      "arn:aws:ssm:us-east-1:123456789012:parameter/dynamodb-access-alerts/unit/configuration",
      "arn:aws:ssm:us-east-1:123456789012:parameter/platform/unit/slack-webhook",
      "arn:aws:ssm:us-east-1:123456789012:parameter/platform/unit/slack-token",
      "arn:aws:ssm:us-east-1:123456789012:parameter/orders/teams-url",
      "arn:aws:ssm:us-east-1:123456789012:parameter/security/siem-url",
      "arn:aws:ssm:us-east-1:123456789012:parameter/security/siem-secret",
    ])
    error_message = "ssm:GetParameter must cover exactly the document, the shorthand webhook and each destination's parameters."
  }
  assert {
    condition     = contains(output.lambda_configuration.pipeline.ssm_parameter_names, "/security/siem-secret")
    error_message = "Destination parameters must be watched for tamper like the module's own."
  }
}

run "kms_and_sns_permissions_are_scoped_per_destination" {
  command = plan

  assert {
    condition = length([
      for st in data.aws_iam_policy_document.lambda.statement : st
      if st.actions == toset(["kms:Decrypt"]) && st.resources == toset(["arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-1111-2222-3333-444444444444"])
      && contains([for c in st.condition : "${c.variable}=${join(",", c.values)}"], "kms:ViaService=ssm.us-east-1.amazonaws.com")
      && contains([for c in st.condition : "${c.variable}=${join(",", c.values)}"], "kms:EncryptionContext:PARAMETER_ARN=arn:aws:ssm:us-east-1:123456789012:parameter/orders/teams-url")
    ]) == 1
    error_message = "The Teams destination's key must be usable only through SSM and only for its own parameter."
  }
  assert {
    condition = [
      for st in data.aws_iam_policy_document.lambda.statement : st.resources if contains(st.actions, "sns:Publish")
    ] == [toset(["arn:aws:sns:eu-west-1:123456789012:pager"])]
    error_message = "sns:Publish must be granted on exactly the destinations' topics."
  }
  assert {
    condition = length([
      for st in data.aws_iam_policy_document.lambda.statement : st
      if st.actions == toset(["kms:GenerateDataKey*", "kms:Decrypt"]) && st.resources == toset(["arn:aws:kms:eu-west-1:123456789012:key/bbbbbbbb-1111-2222-3333-444444444444"])
      && contains([for c in st.condition : "${c.variable}=${join(",", c.values)}"], "kms:ViaService=sns.eu-west-1.amazonaws.com")
      && contains([for c in st.condition : "${c.variable}=${join(",", c.values)}"], "kms:EncryptionContext:aws:sns:topicArn=arn:aws:sns:eu-west-1:123456789012:pager")
    ]) == 1
    error_message = "The topic's key must be usable only through SNS in the topic's Region, for that topic."
  }
}

run "no_topic_no_publish_permission" {
  command = plan
  variables {
    destinations         = {}
    routes               = []
    default_destinations = ["default"]
  }
  assert {
    condition     = !contains(flatten([for st in data.aws_iam_policy_document.lambda.statement : st.actions]), "sns:Publish")
    error_message = "Without an SNS destination the function may publish nowhere."
  }
  assert {
    condition     = keys(output.routing_summary) == ["default"]
    error_message = "The shorthand alone is one destination."
  }
}

run "routing_summary_says_what_reaches_each_destination" {
  command = plan

  assert {
    condition     = output.routing_summary.pager.routes == ["control"] && output.routing_summary.pager.default == false && output.routing_summary.pager.type == "sns"
    error_message = "routing_summary must name the routes of each destination."
  }
  assert {
    condition     = output.routing_summary.oncall.receives == ["every tamper and unparseable alert", "alerts no route matches", "route control: kinds control_plane, tamper"]
    error_message = "routing_summary must say in words what reaches a default destination."
  }
  assert {
    condition     = output.routing_summary.siem.receives == ["route writes: kinds data; access write"]
    error_message = "routing_summary must describe each route."
  }
}

run "destinations_without_the_shorthand" {
  command = plan
  variables {
    slack_webhook_url_ssm_parameter_name = null
    default_destinations                 = ["oncall"]
  }
  assert {
    condition     = !contains(keys(output.lambda_configuration.destinations), "default")
    error_message = "Without the shorthand there is no destination named default."
  }
}

# -- bad inputs ---------------------------------------------------------------------------------------

run "no_destination_at_all" {
  command = plan
  variables {
    slack_webhook_url_ssm_parameter_name = null
    destinations                         = {}
    routes                               = []
  }
  expect_failures = [terraform_data.configuration]
}

run "route_to_an_unknown_destination" {
  command = plan
  variables {
    routes = [{ name = "typo", destinations = ["oncal"] }, { name = "rest", destinations = ["orders", "siem", "pager"] }]
  }
  expect_failures = [terraform_data.configuration]
}

run "destination_nobody_routes_to" {
  command = plan
  variables {
    routes = [{ name = "orders", tables = ["orders"], destinations = ["orders"] }]
  }
  expect_failures = [terraform_data.configuration]
}

run "unknown_default_destination" {
  command = plan
  variables {
    default_destinations = ["default", "pagerduty"]
  }
  expect_failures = [terraform_data.configuration]
}

run "shorthand_and_a_destination_named_default" {
  command = plan
  variables {
    destinations         = { default = { type = "teams", url_parameter = "/x/teams" } }
    routes               = []
    default_destinations = ["default"]
  }
  expect_failures = [terraform_data.configuration]
}

run "both_shorthands" {
  command = plan
  variables {
    slack_webhook_url = "https://hooks.slack.com/services/T000/B000/XXXX"
  }
  expect_failures = [aws_lambda_function.this]
}

run "unknown_type" {
  command = plan
  variables {
    destinations = { pd = { type = "pagerduty", url_parameter = "/x" } }
  }
  expect_failures = [var.destinations]
}

run "bad_destination_name" {
  command = plan
  variables {
    destinations = { "on call" = { type = "teams", url_parameter = "/x" } }
  }
  expect_failures = [var.destinations]
}

run "missing_field_for_the_type" {
  command = plan
  variables {
    destinations = { siem = { type = "webhook", url_parameter = "/x" } }
  }
  expect_failures = [var.destinations]
}

run "field_of_another_type" {
  command = plan
  variables {
    destinations = { orders = { type = "teams", url_parameter = "/x", channel = "C0123456789" } }
  }
  expect_failures = [var.destinations]
}

run "secret_value_instead_of_a_parameter_name" {
  command = plan
  variables {
    destinations = { orders = { type = "teams", url_parameter = "https://prod.workflows.example/abc" } }
  }
  expect_failures = [var.destinations]
}

run "channel_name_instead_of_id" {
  command = plan
  variables {
    destinations = { oncall = { type = "slack_app", token_parameter = "/x", channel = "#alerts" } }
  }
  expect_failures = [var.destinations]
}

run "bad_topic_arn" {
  command = plan
  variables {
    destinations = { pager = { type = "sns", topic_arn = "pager" } }
  }
  expect_failures = [var.destinations]
}

run "kms_alias_instead_of_key_arn" {
  command = plan
  variables {
    destinations = { pager = { type = "sns", topic_arn = "arn:aws:sns:eu-west-1:123456789012:pager", kms_key_arn = "alias/pager" } }
  }
  expect_failures = [var.destinations]
}

run "plain_http_api_url" {
  command = plan
  variables {
    destinations = { oncall = { type = "slack_app", token_parameter = "/x", channel = "C0123456789", api_url = "http://slack.example/api" } }
  }
  expect_failures = [var.destinations]
}

run "route_without_destinations" {
  command = plan
  variables {
    routes = [{ name = "r", destinations = [] }]
  }
  expect_failures = [var.routes]
}

run "duplicate_route_names" {
  command = plan
  variables {
    routes = [{ name = "r", destinations = ["orders"] }, { name = "r", destinations = ["siem"] }]
  }
  expect_failures = [var.routes]
}

run "bad_route_kind" {
  command = plan
  variables {
    routes = [{ name = "r", kinds = ["read"], destinations = ["orders"] }]
  }
  expect_failures = [var.routes]
}

run "bad_route_access" {
  command = plan
  variables {
    routes = [{ name = "r", access = ["delete"], destinations = ["orders"] }]
  }
  expect_failures = [var.routes]
}

run "bad_route_account" {
  command = plan
  variables {
    routes = [{ name = "r", accounts = ["1234"], destinations = ["orders"] }]
  }
  expect_failures = [var.routes]
}

run "empty_default_destinations" {
  command = plan
  variables {
    default_destinations = []
  }
  expect_failures = [var.default_destinations]
}
