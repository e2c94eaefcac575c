@kms
Feature: MAC keys: generate-mac and verify-mac

  generate-mac and verify-mac take a key whose key_usage is GENERATE_VERIFY_MAC, a mac_algorithm
  (HMAC_SHA_256, HMAC_SHA_384, HMAC_SHA_512, HMAC_SM3) and a base64 message of 1 to 4096 bytes.
  No documented API call creates such a key (CreateKey lists no HMAC key spec): the scenarios that need
  one seed it in the mock, with a secret the steps know, so that every MAC is recomputed outside the
  service with Go's crypto/hmac (SHA-2) or tjfoc/gmsm (SM3).

  @generate-mac @verify-mac @mock-only
  Scenario Outline: a <alg> MAC is the HMAC of the message under the key, and verify-mac accepts it
    Given alice has a MAC key "<spec>"
    When alice generates a MAC of "hello, dew" with that key using "<alg>"
    Then the response status is 200
    And the response's key_id is that key's id
    And the response's mac_algorithm is "<alg>"
    And that MAC is the HMAC of the message under the key's secret
    When alice verifies that MAC with that key
    Then the response status is 200
    And the response's mac_valid is "true"

    Examples:
      | spec     | alg          |
      | HMAC_256 | HMAC_SHA_256 |
      | HMAC_384 | HMAC_SHA_384 |
      | HMAC_512 | HMAC_SHA_512 |
      | HMAC_SM3 | HMAC_SM3     |

  @verify-mac @mock-only
  Scenario: a MAC does not verify over a changed message
    Given alice has a MAC key "HMAC_256"
    When alice generates a MAC of "hello, dew" with that key using "HMAC_SHA_256"
    Then the response status is 200
    When alice verifies that MAC over the message "hello, dev" with that key
    Then the MAC verification does not succeed
    And the response status is 200 (unconfirmed)
    And the response's mac_valid is "false" (unconfirmed)

  @generate-mac
  Scenario: a SIGN_VERIFY key cannot generate a MAC
    Given alice has a key "EC_P256" for "SIGN_VERIFY"
    When alice generates a MAC of "hello, dew" with that key using "HMAC_SHA_256"
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0308" (unconfirmed)

  @generate-mac @mock-only
  Scenario: the MAC algorithm must suit the key spec
    Given alice has a MAC key "HMAC_256"
    When alice generates a MAC of "hello, dew" with that key using "HMAC_SHA_512"
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0308" (unconfirmed)

  @generate-mac @mock-only
  Scenario: a disabled MAC key cannot generate a MAC
    Given alice has a MAC key "HMAC_256"
    And that key has been put in state "3"
    When alice generates a MAC of "hello, dew" with that key using "HMAC_SHA_256"
    Then the call is refused
    And the response status is 400
    And the error code is "KMS.0209"

  @sign @mock-only
  Scenario: a MAC key cannot sign
    Given alice has a MAC key "HMAC_256"
    When alice signs the message "hello, dew" with that key using "ECDSA_SHA_256"
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0308" (unconfirmed)

  @encrypt-data @mock-only
  Scenario: a MAC key cannot encrypt
    Given alice has a MAC key "HMAC_256"
    When alice encrypts "hello, dew" with that key
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0308" (unconfirmed)
