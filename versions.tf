# Provider support
# - Terraform >= 1.5 (check blocks, optional() attributes with defaults, terraform_data). `terraform test`
#   with mock_provider, used only by this repository's own tests, needs >= 1.7.
# - hashicorp/aws >= 5.100.0: the only release this repository tests (offline, with `terraform test` and an
#   apply against an emulator), so the floor claims no more than that. The module itself uses nothing
#   known to be newer than 5.32.0 (logging_config on aws_lambda_function, the python3.12 runtime), but
#   older releases were never planned here: the floor was 5.32.0 until this was made honest.
# - 6.x is allowed: the module avoids what 6.0 deprecated or removed (no data.aws_region.*.name, and no
#   `.region` either because 5.x lacks it: the region comes from data.aws_region.current.id, which both
#   majors set to the region name; no inline bucket sub-blocks; no `eventType`/
#   `sessionCredentialFromConsole` selector fields, which only >= 6.2 accepts). 6.x is not tested here.
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0, < 7.0.0"
    }
  }
}
