Feature: The trail selects only DynamoDB table data events (and write management events)
  Data events are billed per event: the trail must select DynamoDB data events of the listed tables only,
  by exact table ARN or by a non-empty table-name prefix (a family), and management events only when they
  are writes (tamper and control-plane alerts). (The eventName condition that track_stream_reads = false
  adds is checked by modules/selectors/tests: the plan this pack reads logs stream reads.)
  Run through tools/plan_pack.py, the pack sees the module's resources only, and a value a first plan
  cannot know yet reads "(known after apply)": the value checks accept it and the wrapper lists the check
  as deferred (docs/compliance.md).

  Scenario: Trails use advanced event selectors
    Given I have aws_cloudtrail defined
    Then it must contain advanced_event_selector

  Scenario: Trails have no basic event selectors
    Given I have aws_cloudtrail defined
    Then it must not contain event_selector

  Scenario: Selectors use only the fields this product needs
    Given I have aws_cloudtrail defined
    Then it must contain advanced_event_selector
    And it must contain field_selector
    And it must contain field
    And its value must match the "^(eventCategory|resources\.type|resources\.ARN|readOnly|eventName|userIdentity\.arn|\(known after apply\))$" regex

  Scenario: Selected values are DynamoDB tables, given by exact ARN, and writes
    Given I have aws_cloudtrail defined
    Then it must contain advanced_event_selector
    And it must contain field_selector
    And it must contain equals
    And all of its values must match the "^(Data|Management|AWS::DynamoDB::Table|false|arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]{3,255}|\(known after apply\))$" regex

  # Skipped on a plan without a family: tools/plan_pack.py drops the empty lists a plan prints for unset
  # block arguments, which terraform-compliance's "When it has" would read as present.
  Scenario: A family selects tables by a non-empty table-name prefix, nothing wider
    Given I have aws_cloudtrail defined
    Then it must contain advanced_event_selector
    And it must contain field_selector
    When it has starts_with
    Then it must contain starts_with
    And all of its values must match the "^(arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]{1,254}|\(known after apply\))$" regex

  Scenario: No selector widens by suffix
    Given I have aws_cloudtrail defined
    Then it must contain advanced_event_selector
    And it must contain field_selector
    And it must not contain ends_with
    And it must not contain not_ends_with
