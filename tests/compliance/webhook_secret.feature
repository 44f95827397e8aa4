Feature: The webhook URL is a secret
  Anyone who can read a Lambda configuration could post into the channel, or read it from the plan. The URL
  lives in an SSM SecureString and is never a plaintext Lambda environment variable.
  Run through tools/plan_pack.py, the pack sees the module's resources only, and a value a first plan
  cannot know yet reads "(known after apply)": the value checks accept it and the wrapper lists the check
  as deferred (docs/compliance.md).

  Scenario: No webhook URL variable in a function's environment
    Given I have aws_lambda_function defined
    When it has environment
    Then it must contain environment
    And it must contain variables
    And it must not contain ACCESS_ALERTS_WEBHOOK_URL
    And it must not contain SLACK_WEBHOOK_URL

  Scenario: No environment value looks like a webhook URL
    Given I have aws_lambda_function defined
    When it has environment
    Then it must contain environment
    And it must contain variables
    And all of its values must not match the "(.*hooks[.]slack[.]com|https://hooks)" regex
