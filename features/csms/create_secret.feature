@csms @create-secret
Feature: Create a secret (CreateSecret)

  POST /v1/{project_id}/secrets with {"name": "...", "secret_string": "..."}. A new secret is
  ENABLED, its first version is "v1" (stage SYSCURRENT) and the answer is {"secret": {...}}.
  Names are 1 to 64 letters, digits, "_" and "-"; anything else is refused with CSMS.0002.

  Scenario: a new secret is enabled and its value can be read
    When alice creates a secret
    Then the response status is 200
    And the response's secret.state is "ENABLED"
    And the response's secret.name is that secret's name
    And the secret's state is "ENABLED"
    And the secret has no scheduled deletion time
    And alice can read the value of that secret

  Scenario Outline: a name with <why> is refused
    When alice creates a secret named "<name>"
    Then the response status is 400
    And the error code is "CSMS.0002"

    Examples:
      | name                                                              | why                     |
      | bad$name                                                          | a character not allowed |
      | a1234567890123456789012345678901234567890123456789012345678901234 | 65 characters           |

  Scenario: a name that is already taken is refused
    Given alice has a secret
    When alice creates a secret with the same name
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "CSMS.0002" (unconfirmed)

  Scenario: a body that is not JSON is refused
    When alice sends to create-secret the body:
      """
      {"name": "dewconform-not-json", "secret_string": 
      """
    Then the response status is 400
    And the error code is "CSMS.0004"

  Scenario: a request without credentials is refused
    When anonymous creates a secret
    Then the response status is 401
    And the error code is "APIGW.0301"
