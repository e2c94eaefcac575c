@csms
Feature: Read, update and delete a secret (ShowSecret, ShowSecretVersion, UpdateSecret, DeleteSecret)

  GET /v1/{project_id}/secrets/{secret_name} answers {"secret": {...}} in every state.
  A secret pending deletion can still be shown, but not read nor updated (CSMS.0103).
  DELETE /v1/{project_id}/secrets/{secret_name} removes a secret at once.

  @show-secret
  Scenario: a secret is shown with its state
    Given alice has a secret
    When alice shows that secret
    Then the response status is 200
    And the response's secret.name is that secret's name
    And the response's secret.state is "ENABLED"

  @show-secret
  Scenario: a secret pending deletion can still be shown
    Given alice has a secret pending deletion
    When alice shows that secret
    Then the response status is 200 (unconfirmed)
    And the response's secret.state is "PENDING_DELETE" (unconfirmed)

  @show-secret
  Scenario: a secret that does not exist is not found
    When alice shows the secret "dewconform-no-such-secret"
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "CSMS.0005" (unconfirmed)

  @show-secret-version
  Scenario: the first version of a secret holds its value
    Given alice has a secret
    When alice reads the version "v1" of that secret
    Then the response status is 200
    And the response's version.version_metadata.id is "v1"
    And alice can read the value of that secret

  @update-secret
  Scenario: the description of a secret can be updated
    Given alice has a secret
    When alice updates the description of that secret to "rotated by hand"
    Then the response status is 200
    And the response's secret.description is "rotated by hand"

  @update-secret
  Scenario: a secret pending deletion cannot be updated
    Given alice has a secret pending deletion
    When alice updates the description of that secret to "too late"
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "CSMS.0103" (unconfirmed)
    And the secret's state is "PENDING_DELETE"

  @delete-secret
  Scenario: a deleted secret is gone at once
    Given alice has a secret
    When alice deletes that secret
    Then the response status is 200
    When alice shows that secret
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "CSMS.0005" (unconfirmed)

  @list-secrets
  Scenario: the secrets of a project are listed
    Given alice has a secret
    When alice lists the secrets
    Then the response status is 200
    And that secret is in the response
