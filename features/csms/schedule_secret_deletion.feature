@csms @schedule-secret-deletion
Feature: Schedule the deletion of a secret (DeleteSecretForSchedule)

  POST /v1/{project_id}/secrets/{secret_name}/scheduled-deleted-tasks/create with
  {"recovery_window_in_days": 7..30}. An ENABLED or DISABLED secret becomes PENDING_DELETE with
  scheduled_delete_time that many days ahead; its value can no longer be read.
  A window outside 7..30 is refused with CSMS.0002.

  Scenario Outline: a recovery window of <days> days is accepted
    Given alice has a secret
    When alice schedules the deletion of that secret in <days> days
    Then the response status is 200
    And the response's secret.state is "PENDING_DELETE"
    And the secret's state is "PENDING_DELETE"
    And the secret is scheduled for deletion in <days> days

    Examples:
      | days |
      | 7    |
      | 30   |

  Scenario Outline: a recovery window of <days> days is refused and the secret does not change
    Given alice has a secret
    When alice schedules the deletion of that secret in <days> days
    Then the response status is 400
    And the error code is "CSMS.0002"
    And the secret's state is "ENABLED"

    Examples:
      | days |
      | 6    |
      | 31   |
      | 0    |

  Scenario: a body that is not JSON is refused
    Given alice has a secret
    When alice sends to schedule-secret-deletion the body:
      """
      {"recovery_window_in_days": 
      """
    Then the response status is 400
    And the error code is "CSMS.0004"
    And the secret's state is "ENABLED"

  @mock-only
  Scenario: a disabled secret can be scheduled for deletion
    Given alice has a secret in state "DISABLED"
    When alice schedules the deletion of that secret in 7 days
    Then the response status is 200
    And the secret's state is "PENDING_DELETE"

  Scenario: a secret already pending deletion is refused
    Given alice has a secret pending deletion
    When alice schedules the deletion of that secret in 30 days
    Then the response status is 400 (unconfirmed)
    And the error code is "CSMS.0107" (unconfirmed)
    And the secret's state is "PENDING_DELETE"
    And the secret is scheduled for deletion in 7 days (unconfirmed)

  @show-secret-version
  Scenario: the value of a secret pending deletion cannot be read
    Given alice has a secret pending deletion
    When alice reads the version "v1" of that secret
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "CSMS.0103" (unconfirmed)
