@kms
Feature: Enable and disable a key (enable-key, disable-key)

  POST /v1.0/{project_id}/kms/enable-key and .../disable-key with {"key_id": "..."}.
  Only a disabled key ("3") can be enabled, and only an enabled key ("2") can be disabled.
  Both answer the wrapped {"key_info": {"key_id", "key_state"}}. Otherwise enable is refused
  with KMS.1201 and disable with KMS.1301, and the key does not change.

  @disable-key
  Scenario: an enabled key is disabled
    Given alice has a key
    When alice disables that key
    Then the response status is 200
    And the response's key_info.key_state is "3"
    And the key's state is "3"

  @enable-key
  Scenario: a disabled key is enabled
    Given alice has a key in state "3"
    When alice enables that key
    Then the response status is 200
    And the response's key_info.key_state is "2"
    And the key's state is "2"

  @enable-key
  Scenario Outline: a key in state "<state>" cannot be enabled
    Given alice has a key in state "<state>"
    When alice enables that key
    Then the response status is 400
    And the error code is "KMS.1201"
    And the key's state is "<state>"

    Examples:
      | state |
      | 2     |
      | 4     |
      | 5     |

    @mock-only
    Examples: states only the mock can seed
      | state |
      | 7     |

  @disable-key
  Scenario Outline: a key in state "<state>" cannot be disabled
    Given alice has a key in state "<state>"
    When alice disables that key
    Then the response status is 400
    And the error code is "KMS.1301"
    And the key's state is "<state>"

    Examples:
      | state |
      | 3     |
      | 4     |
      | 5     |

    @mock-only
    Examples: states only the mock can seed
      | state |
      | 7     |

  @disable-key
  Scenario: a disabled key cannot be used for cryptography
    Given alice has a key in state "3"
    When alice creates a data key with that key
    Then the response status is 400
    And the error code is "KMS.0209"

  @disable-key @multi-user
  Scenario: a user without rights may not disable a key
    Given alice has a key
    When bob disables that key
    Then the call is refused
    And the response status is 403 (unconfirmed)
    And the error code is "KMS.0306" (unconfirmed)
    And the key's state is "2"
