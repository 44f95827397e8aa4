# Secrets the function reads at cold start. Neither ever appears in the function's environment.

# The webhook URL, when given to the module (otherwise the user manages the parameter).
resource "aws_ssm_parameter" "webhook" {
  count = local.webhook_url_given ? 1 : 0

  name        = local.module_webhook_parameter
  description = "Slack webhook URL for dynamodb-access-alerts ${var.name}"
  type        = "SecureString"
  key_id      = local.kms_key_arn
  value       = var.slack_webhook_url
  tags        = local.tags
}

# key_values = "hash": a per-deployment HMAC secret, so the same item hashes the same way in every alert
# of this deployment and differently in any other. Made from two uuid() values (random v4 UUIDs: 244 random
# bits) because only Terraform built-ins are allowed (no random provider). uuid() changes on every plan, so
# the value is ignored after creation: plans stay empty and the secret stays stable. To rotate it, taint or
# replace the resource (-replace=aws_ssm_parameter.key_hash[0]); hashes in older alerts then no longer match.
resource "aws_ssm_parameter" "key_hash" {
  count = var.key_values == "hash" ? 1 : 0

  name        = local.key_hash_parameter_name
  description = "HMAC secret for hashed key values in dynamodb-access-alerts ${var.name}"
  type        = "SecureString"
  key_id      = local.kms_key_arn
  value       = "${uuid()}${uuid()}"
  tags        = local.tags

  lifecycle {
    ignore_changes = [value]
    # The value is never planned again (ignore_changes), so this reads back what the parameter holds: a secret
    # replaced out of band by a short one fails the next plan or apply instead of weakening the hashes. The
    # function refuses it too (rules.json key_hash_secret_min_length is the one home of the length).
    postcondition {
      condition     = length(self.value) >= local.rules.key_hash_secret_min_length
      error_message = "The key hash secret in ${self.name} is shorter than ${local.rules.key_hash_secret_min_length} characters: anyone could confirm a guessed key value from its hash. Replace it with -replace=aws_ssm_parameter.key_hash[0] (the module writes 72 random characters)."
    }
  }
}
