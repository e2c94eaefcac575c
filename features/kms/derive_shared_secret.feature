@kms
Feature: Key agreement (derive-shared-secret)

  derive-shared-secret takes a key whose key_usage is KEY_AGREEMENT, key_agreement_algorithm ECDH and
  the caller's public key (base64 of a DER X.509 SubjectPublicKeyInfo), and answers the shared secret
  in base64. No documented API call creates a KEY_AGREEMENT key (CreateKey cannot set that usage): the
  scenarios that need one seed it in the mock. The steps make their own key pair and recompute the
  agreement with Go's crypto/ecdh from the key's public key (get-publickey).

  @derive-shared-secret @mock-only
  Scenario Outline: the shared secret is the ECDH of the key and the caller's key pair (<spec>)
    Given alice has a key agreement key "<spec>"
    When alice derives a shared secret with that key and a fresh <curve> key pair of its own
    Then the response status is 200
    And the response's key_id is that key's id
    And the response's key_agreement_algorithm is "ECDH"
    And the shared secret is the ECDH of that key's public key and the caller's private key (unconfirmed)

    Examples:
      | spec    | curve |
      | EC_P256 | P-256 |
      | EC_P384 | P-384 |

  @derive-shared-secret
  Scenario: a SIGN_VERIFY key does not agree
    Given alice has a key "EC_P256" for "SIGN_VERIFY"
    When alice derives a shared secret with that key and a fresh P-256 key pair of its own
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0308" (unconfirmed)

  @derive-shared-secret @mock-only
  Scenario: the caller's public key must be on the key's curve
    Given alice has a key agreement key "EC_P256"
    When alice derives a shared secret with that key and a fresh P-384 key pair of its own
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0308" (unconfirmed)
