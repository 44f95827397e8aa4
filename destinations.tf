# Destinations and routes (docs/destinations.md): the shorthand webhook becomes the destination "default",
# the function gets least-privilege access to each destination's secrets and topics, and the routing is
# checked across variables (a Terraform 1.5 validation sees only its own variable, so the cross-checks are
# preconditions of terraform_data.configuration, in configuration.tf).

locals {
  shorthand_given = local.webhook_url_given || local.webhook_parameter_given

  # Every destination, as the document carries it (names of parameters, never values).
  all_destinations = merge(
    local.shorthand_given ? {
      default = {
        type              = "slack_webhook"
        url_parameter     = local.webhook_parameter_name
        token_parameter   = null
        secret_parameter  = null
        channel           = null
        mention_on_tamper = null
        api_url           = null
        topic_arn         = null
        # Its key is handled with the shorthand's own variables (lambda.tf).
        kms_key_arn = null
      }
    } : {},
    var.destinations,
  )
  destination_names = keys(local.all_destinations)

  # SSM parameters of the destinations given in var.destinations (the shorthand's are in locals.tf).
  destination_parameters = {
    for name, d in var.destinations : name => compact([d.url_parameter, d.token_parameter, d.secret_parameter])
  }
  destination_parameter_names = distinct(flatten(values(local.destination_parameters)))
  destination_parameter_arns = [
    for p in local.destination_parameter_names : "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/${trimprefix(p, "/")}"
  ]
  # Destinations whose parameters are under a customer-managed key: one KMS statement each (lambda.tf).
  destination_parameter_keys = [
    for name, d in var.destinations : {
      key = d.kms_key_arn
      parameter_arns = [
        for p in local.destination_parameters[name] : "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/${trimprefix(p, "/")}"
      ]
    } if d.type != "sns" && d.kms_key_arn != null
  ]
  sns_topic_arns = distinct([for d in values(var.destinations) : d.topic_arn if d.type == "sns"])
  # KMS-encrypted topics: the publisher needs GenerateDataKey and Decrypt on the topic's key, through SNS.
  sns_topic_keys = [
    for d in values(var.destinations) : {
      key    = d.kms_key_arn
      topic  = d.topic_arn
      region = split(":", d.topic_arn)[3]
    } if d.type == "sns" && d.kms_key_arn != null
  ]

  # ------------------------------------------------------------------------------------- cross-checks
  unknown_route_destinations = flatten([
    for r in var.routes : [for d in r.destinations : "${r.name} -> ${d}" if !contains(local.destination_names, d)]
  ])
  unknown_default_destinations = [for d in var.default_destinations : d if !contains(local.destination_names, d)]
  routed_destinations          = distinct(concat(var.default_destinations, flatten([for r in var.routes : r.destinations])))
  unreached_destinations       = [for name in local.destination_names : name if !contains(local.routed_destinations, name)]

  # ------------------------------------------------------------------------------------------ summary
  route_descriptions = {
    for r in var.routes : r.name => join("; ", length(compact([
      length(r.tables) > 0 ? "x" : "", length(r.kinds) > 0 ? "x" : "", length(r.access) > 0 ? "x" : "", length(r.accounts) > 0 ? "x" : "",
      ])) == 0 ? ["every alert"] : compact([
      length(r.tables) > 0 ? "tables ${join(", ", r.tables)}" : "",
      length(r.kinds) > 0 ? "kinds ${join(", ", r.kinds)}" : "",
      length(r.access) > 0 ? "access ${join(", ", r.access)}" : "",
      length(r.accounts) > 0 ? "accounts ${join(", ", r.accounts)}" : "",
    ]))
  }
  routing_summary = {
    for name, d in local.all_destinations : name => {
      type    = d.type
      default = contains(var.default_destinations, name)
      routes  = [for r in var.routes : r.name if contains(r.destinations, name)]
      receives = concat(
        contains(var.default_destinations, name) ? ["every tamper and unparseable alert", "alerts no route matches"] : [],
        [for r in var.routes : "route ${r.name}: ${local.route_descriptions[r.name]}" if contains(r.destinations, name)],
      )
    }
  }
}
