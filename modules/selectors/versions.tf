# No provider: this module only computes values from its inputs, so it can be planned and applied (and
# tested) without AWS credentials or any provider plugin.
terraform {
  required_version = ">= 1.5.0"
}
