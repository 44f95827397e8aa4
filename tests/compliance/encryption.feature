Feature: Everything the pipeline stores is encrypted with a KMS key
  In order to keep CloudTrail records (who touched which item, primary keys included) and the webhook
  secret confidential, every store of the pipeline uses KMS encryption.
  Run through tools/plan_pack.py, the pack sees the module's resources only, and a value a first plan
  cannot know yet reads "(known after apply)": the value checks accept it and the wrapper lists the check
  as deferred (docs/compliance.md).

  Scenario: The trail encrypts its log files with KMS
    Given I have aws_cloudtrail defined
    Then it must contain kms_key_id
    And its value must match the "^(arn:aws[a-z-]*:kms:|\(known after apply\)$)" regex

  Scenario: Trail buckets use SSE-KMS by default
    Given I have aws_s3_bucket_server_side_encryption_configuration defined
    Then it must contain rule
    And it must contain apply_server_side_encryption_by_default
    And it must contain sse_algorithm
    And its value must match the "^aws:kms(:dsse)?$" regex

  Scenario: Trail buckets name the KMS key
    Given I have aws_s3_bucket_server_side_encryption_configuration defined
    Then it must contain rule
    And it must contain apply_server_side_encryption_by_default
    And it must contain kms_master_key_id
    And its value must match the "^(arn:aws[a-z-]*:kms:|\(known after apply\)$)" regex

  Scenario: Log groups are encrypted with a KMS key
    Given I have aws_cloudwatch_log_group defined
    Then it must contain kms_key_id
    And its value must match the "^(arn:aws[a-z-]*:kms:|\(known after apply\)$)" regex

  Scenario: The on-failure queue is encrypted with a KMS key
    Given I have aws_sqs_queue defined
    Then it must contain kms_master_key_id
    And its value must match the "^(arn:aws[a-z-]*:kms:|alias/|\(known after apply\)$)" regex

  Scenario: SSM parameters are SecureStrings
    Given I have aws_ssm_parameter defined
    Then it must contain type
    And its value must be SecureString

  Scenario: SSM parameters name their KMS key
    Given I have aws_ssm_parameter defined
    Then it must contain key_id
    And its value must match the "^(arn:aws[a-z-]*:kms:|alias/|\(known after apply\)$)" regex

  Scenario: Keys the module creates rotate
    Given I have aws_kms_key defined
    Then it must contain enable_key_rotation
    And its value must be true
