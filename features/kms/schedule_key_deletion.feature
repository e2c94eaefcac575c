@kms @schedule-key-deletion
Feature: Schedule the deletion of a key (schedule-key-deletion)

  POST /v1.0/{project_id}/kms/schedule-key-deletion with {"key_id": "...", "pending_days": "7"}.
  pending_days is a string holding a number from 7 to 1096; anything else is KMS.1401.
  Keys in state "2", "3" or "5" go to "4" (pending deletion) with scheduled_deletion_date
  set pending_days ahead; the flat answer is {"key_id", "key_state": "4"}.
  A key already pending deletion is refused with KMS.1402.

  Rule: pending_days must be a number from 7 to 1096

    Scenario Outline: <days> pending days are accepted
      Given alice has a key
      When alice schedules the deletion of that key in "<days>" days
      Then the response status is 200
      And the response's key_id is that key's id
      And the response's key_state is "4"
      And the key's state is "4"
      And the key is scheduled for deletion in <days> days

      Examples:
        | days |
        | 7    |
        | 1096 |

    Scenario Outline: "<days>" pending days are refused and the key does not change
      Given alice has a key
      When alice schedules the deletion of that key in "<days>" days
      Then the response status is 400
      And the error code is "KMS.1401"
      And the key's state is "2"

      Examples:
        | days  |
        | 6     |
        | 1097  |
        | 0     |
        | seven |

    Scenario: a body without pending_days is refused
      Given alice has a key
      When alice sends to schedule-key-deletion the body:
        """
        {"key_id": "{that key}"}
        """
      Then the response status is 400
      And the error code is "KMS.0204"
      And the key's state is "2"

  Rule: keys that are enabled, disabled or pending import can be scheduled for deletion

    Scenario Outline: a key in state "<state>" is scheduled for deletion
      Given alice has a key in state "<state>"
      When alice schedules the deletion of that key in "7" days
      Then the response status is 200
      And the key's state is "4"

      Examples:
        | state |
        | 2     |
        | 3     |
        | 5     |

    Scenario: a key already pending deletion is refused
      Given alice has a key pending deletion
      When alice schedules the deletion of that key in "30" days
      Then the response status is 400
      And the error code is "KMS.1402"
      And the key's state is "4"
      And the key is scheduled for deletion in 7 days

    @mock-only
    Scenario: a frozen key is refused
      Given alice has a key in state "7"
      When alice schedules the deletion of that key in "7" days
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "KMS.0308" (unconfirmed)
      And the key's state is "7"

    Scenario: a key pending deletion cannot be used for cryptography
      Given alice has a key pending deletion
      When alice creates a data key with that key
      Then the response status is 400
      And the error code is "KMS.0210"
