Feature: Logs do not live forever
  CloudTrail records hold personal data (who, from where, which keys), so every log group has a retention.

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
