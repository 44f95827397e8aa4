Feature: Logs do not live forever
  CloudTrail records hold personal data (who, from where, which keys), so every log group has a retention.
  Run through tools/plan_pack.py, the pack sees the module's resources only, and a value a first plan
  cannot know yet reads "(known after apply)": the value checks accept it and the wrapper lists the check
  as deferred (docs/compliance.md).

  Scenario: Every log group has a retention period
    Given I have aws_cloudwatch_log_group defined
    Then it must contain retention_in_days
    And its value must match the "^([1-9][0-9]*|\(known after apply\))$" regex

  Scenario: Trail log files expire in the bucket
    Given I have aws_s3_bucket_lifecycle_configuration defined
    Then it must contain rule
    And it must contain expiration
    And it must contain days
    And its value must match the "^([1-9][0-9]*|\(known after apply\))$" regex
