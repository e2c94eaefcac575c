@kms @user-quotas
Feature: Read the key quotas (user-quotas)

  GET /v1.0/{project_id}/kms/user-quotas answers {"quotas": {"resources": [{"type", "quota", "used"}]}}:
  "CMK" is the keys the project may hold (keys pending deletion count), "grant_per_CMK" the grants one
  key may have. The runner reads it before a run against a real target, to stop a run that would not fit.

  Scenario: an administrator reads the key and grant quotas
    When alice reads the key quotas
    Then the response status is 200
    And the response's quotas.resources.0.type is "CMK"
    And the response's quotas.resources.1.type is "grant_per_CMK" (unconfirmed)

  Scenario: a user without rights may not read the quotas
    When carol reads the key quotas
    Then the call is refused
    And the response status is 403 (unconfirmed)
    And the error code is "KMS.0306" (unconfirmed)

  Scenario: a request without credentials is refused
    When anonymous reads the key quotas
    Then the response status is 401
    And the error code is "APIGW.0301"
