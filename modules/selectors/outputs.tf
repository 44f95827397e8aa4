output "advanced_event_selectors" {
  description = "The trail's advanced event selectors: name and field selectors (field, equals, not_equals, starts_with, not_starts_with; null where unused)."
  value       = local.advanced_event_selectors
}

output "value_count" {
  description = "Number of values in all conditions of all selectors, the figure CloudTrail limits to 500 per trail."
  value       = local.value_count
}

output "value_limit" {
  description = "CloudTrail's limit on selector values per trail (500)."
  value       = local.value_limit
}

output "fits" {
  description = "Whether value_count is within value_limit."
  value       = local.value_count <= local.value_limit
}

output "limit_message" {
  description = "What to tell the user when the selectors do not fit: the count, what it is made of and the fixes."
  value       = local.limit_message
}

output "table_arns" {
  description = "Every watched table as an ARN, sorted; a family ends in `*` (the form the configuration document uses)."
  value       = local.table_arns
}

output "exact_table_arns" {
  description = "resources.ARN equals values: the watched tables named exactly."
  value       = local.exact_table_arns
}

output "family_arn_prefixes" {
  description = "resources.ARN starts_with values: one per family (the family ARN without its `*`)."
  value       = local.family_arn_prefixes
}

output "table_regions" {
  description = "Regions of the watched tables, sorted."
  value       = local.table_regions
}

output "multi_region" {
  description = "Whether the trail must log every Region (a watched table lies outside the home Region)."
  value       = local.multi_region
}

output "multi_region_reason" {
  description = "Why the trail is multi-Region (null when it is not)."
  value       = local.multi_region_reason
}

output "exclusion_prefixes" {
  description = "userIdentity.arn not_starts_with values: allowed roles left out of the trail."
  value       = local.exclusion_prefixes
}

output "not_excluded_patterns" {
  description = "allowed_role_arns entries the trail cannot leave out exactly (or all of them when exclusion is off): logged and billed, then allowed by the function."
  value       = local.not_excluded_patterns
}

output "stream_reads_logged" {
  description = "Whether the selectors log stream reads (GetRecords, GetShardIterator) of the watched tables."
  value       = var.track_reads && var.track_stream_reads
}
