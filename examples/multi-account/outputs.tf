output "function_names" {
  description = "The alerting function of each account."
  value = {
    payments = module.payments.lambda_function_name
    orders   = module.orders.lambda_function_name
  }
}

output "monitored_table_arns" {
  description = "Every watched table, by account."
  value = {
    payments = module.payments.monitored_table_arns
    orders   = module.orders.monitored_table_arns
  }
}
