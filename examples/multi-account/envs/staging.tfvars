# Staging: the same two teams' staging accounts, one table each, key values shown as logged.
environment   = "staging"
region        = "us-east-1"
key_values    = "show"
force_destroy = true

payments = {
  account_id          = "222233334444"
  deployment_role_arn = "arn:aws:iam::222233334444:role/platform-deployer"
  table_names         = ["payments-staging"]
  allowed_role_arns   = ["arn:aws:iam::222233334444:role/payments-api"]
  alarm_actions       = ["arn:aws:sns:us-east-1:222233334444:payments-staging-alarms"]
}

orders = {
  account_id          = "555566667777"
  deployment_role_arn = "arn:aws:iam::555566667777:role/platform-deployer"
  table_names         = ["orders-staging"]
  allowed_role_arns   = ["arn:aws:iam::555566667777:role/orders-service", "arn:aws:iam::555566667777:role/orders-ci-*"]
  alarm_actions       = ["arn:aws:sns:us-east-1:555566667777:orders-staging-alarms"]
}
