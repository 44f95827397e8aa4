# Provider support
# - Terraform >= 1.5 (check blocks, optional() attributes with defaults). `terraform test` with
#   mock_provider, used only by this repository's own tests, needs >= 1.7.
# - hashicorp/aws >= 5.32.0: the oldest release with `logging_config` on aws_lambda_function (JSON log
#   format, release notes of 5.32.0) and with "python3.12" among the accepted runtimes. The other
#   features (advanced_event_selector, split S3 bucket resources, aws_lambda_function_event_invoke_config)
#   are older; that releases before 5.100.0 accept the `userIdentity.arn` selector field was not checked.
#   python3.13 needs a provider whose runtime list knows it (5.100.0 does).
# - CI tests exactly 5.100.0, offline, with `terraform test` and an apply against an emulator.
# - 6.x is allowed: the module avoids what 6.0 deprecated or removed (no data.aws_region.*.name, and no
#   `.region` either because 5.x lacks it: the region comes from data.aws_region.current.id, which both
#   majors set to the region name; no inline bucket sub-blocks; no `eventType`/
#   `sessionCredentialFromConsole` selector fields, which only >= 6.2 accepts).
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.32.0, < 7.0.0"
    }
  }
}
