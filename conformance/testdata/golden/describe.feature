# The fixed mini-suite of the report golden tests (golden_test.go): one scenario per outcome the reports
# distinguish, all on describe-key so that the run is short and its calls few.
@kms @describe-key
Feature: golden describe-key

  Scenario: an unknown key is refused
    When alice describes the key "0d0466b0-e727-4d9c-b35d-f84bb474a37f"
    Then the call is refused
    And the response status is 400
    And the error code is "KMS.0207" (unconfirmed)

  Scenario: a rule the target does not follow
    Given alice has a key
    When alice describes that key
    Then the response's key_info.key_state is "3"

  @mock-only
  Scenario: a frozen key is described
    Given alice has a key in state "7"
    When alice describes that key
    Then the response status is 200

  Scenario: a step nobody wrote
    When alice does something nobody wrote a step for

  Scenario: an expectation the documentation leaves open
    When alice describes the key "0d0466b0-e727-4d9c-b35d-f84bb474a37f"
    Then the call is refused
    And the error code is "KMS.0999" (unconfirmed)
    And the response status is 400 (unconfirmed)

  Scenario: a known difference
    When alice describes the key "0d0466b0-e727-4d9c-b35d-f84bb474a37f"
    Then the response status is 404

  Scenario: a difference that was fixed
    Given alice has a key
    When alice describes that key
    Then the response status is 200
