Feature: Least privilege
  No IAM policy of the pipeline grants actions by wildcard ("*", "s3:*", "ssm:Get*"): each names the
  actions it needs, and role policies name their resources instead of "*" (key policies, where "*" means
  the key itself, are not role policies). terraform-compliance anchors regexes at the start of the value.
  Run through tools/plan_pack.py, the pack sees the module's resources only, and a value a first plan
  cannot know yet reads "(known after apply)": the value checks accept it and the wrapper lists the check
  as deferred (docs/compliance.md).

  Scenario Outline: No wildcard actions in inline role policies
    Given I have <resource> defined
    Then it must contain policy
    And it must contain Statement
    And it must contain Action
    And its value must not match the ".*[*]" regex

    Examples:
      | resource            |
      | aws_iam_role_policy |
      | aws_iam_policy      |

  Scenario: Role policies name their resources
    Given I have aws_iam_role_policy defined
    Then it must contain policy
    And it must contain Statement
    And it must contain Resource
    And its value must not match the "^[*]$" regex

  Scenario: No AWS managed policies attached (they grant more than the pipeline needs)
    Given I have aws_iam_role_policy_attachment defined
    Then it must contain policy_arn
    And its value must not match the "^arn:aws[a-z-]*:iam::aws:policy/" regex
