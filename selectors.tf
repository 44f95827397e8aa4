# What the trail logs (layer 1 of docs/design.md) is computed by the provider-free submodule
# modules/selectors from plain values, so the same selectors can be planned without AWS (its own tests, the
# property tests of the allow-list) and handed to the owner of an existing trail. This file only feeds it.

module "selectors" {
  source = "./modules/selectors"

  partition   = local.partition
  account_id  = local.account_id
  region      = local.region
  table_names = var.table_names
  # table_arns: other Regions' tables; the canary's table (canary.tf) is logged like a watched one, so its
  # heartbeat takes the same path.
  table_arns = concat(var.table_arns, local.canary_enabled ? [local.canary_table_arn] : [])

  allowed_role_arns               = var.allowed_role_arns
  exclude_allowed_roles_at_source = var.exclude_allowed_roles_at_source
  track_reads                     = var.track_reads
  track_stream_reads              = var.track_stream_reads
  include_management_events       = var.watch_pipeline || var.watch_table_management
  rules                           = local.rules
}
