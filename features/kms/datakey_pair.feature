@kms
Feature: Data key pairs (create-rsa-datakey-pair, create-ec-datakey-pair)

  A data key pair is generated for the caller: the answer carries the public key, the private key
  wrapped under the (symmetric) key, and the private key in plaintext unless with_plain_text is false
  (it defaults to true). The steps check outside the service that the three belong together: the
  private key's public half is the public key, and the wrapped private key opens under the same key
  (decrypt-data) to the plaintext one. The EC specs include P-521, which no key has.

  @create-rsa-datakey-pair
  Scenario Outline: an RSA data key pair <spec> belongs together
    Given alice has a key
    When alice creates an RSA data key pair "<spec>" with that key
    Then the response status is 200
    And the response's key_id is that key's id
    And the response's key_spec is "<spec>"
    And the data key pair's public key, private key and wrapped private key belong together

    Examples:
      | spec     |
      | RSA_2048 |

  @create-ec-datakey-pair
  Scenario Outline: an EC data key pair <spec> belongs together
    Given alice has a key
    When alice creates an EC data key pair "<spec>" with that key
    Then the response status is 200
    And the response's key_spec is "<spec>"
    And the data key pair's public key, private key and wrapped private key belong together

    Examples:
      | spec            |
      | ECC_NIST_P256   |
      | ECC_NIST_P384   |
      | ECC_NIST_P521   |
      | ECC_SECG_P256K1 |
      | SM2             |

  @create-rsa-datakey-pair
  Scenario: with_plain_text false leaves the plaintext private key out
    Given alice has a key
    When alice creates an RSA data key pair "RSA_2048" without its plaintext private key with that key
    Then the response status is 200
    And the answer has no plaintext private key

  @create-ec-datakey-pair
  Scenario: an asymmetric key cannot wrap a data key pair
    Given alice has a key "RSA_2048" for "ENCRYPT_DECRYPT"
    When alice creates an EC data key pair "ECC_NIST_P256" with that key
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0308" (unconfirmed)

  @create-ec-datakey-pair
  Scenario: a disabled key cannot wrap a data key pair
    Given alice has a key in state "3"
    When alice creates an EC data key pair "ECC_NIST_P256" with that key
    Then the call is refused
    And the response status is 400
    And the error code is "KMS.0209"
