@kms
Feature: Asymmetric keys: signatures, public keys and asymmetric encryption (sign, verify, get-publickey)

  Asymmetric keys (RSA_2048/3072/4096, EC_P256, EC_P384, SECP256K1, SM2) sign and verify when their
  key_usage is SIGN_VERIFY, and encrypt and decrypt (RSA and SM2 only) when it is ENCRYPT_DECRYPT. A
  signature from sign must verify outside the service with the public key from get-publickey: the steps
  check it with Go's crypto, tjfoc/gmsm for SM2 and their own secp256k1 arithmetic, never with the
  target's help. SM2 signs a digest only: SM3 over Z(A) and the message (default user id
  1234567812345678). A DIGEST message must have the algorithm's digest length; a RAW message is hashed by
  the service.

  @get-publickey
  Scenario Outline: create-key makes a <spec> key for <usage>, and get-publickey gives its public key
    When alice creates a key "<spec>" for "<usage>"
    Then the response status is 200
    When alice gets the public key of that key
    Then the response status is 200
    And the response's key_id is that key's id
    And the response's public_key is the PEM public key of a "<spec>" key

    Examples:
      | spec      | usage           |
      | RSA_2048  | SIGN_VERIFY     |
      | RSA_3072  | ENCRYPT_DECRYPT |
      | RSA_4096  | SIGN_VERIFY     |
      | EC_P256   | SIGN_VERIFY     |
      | EC_P384   | SIGN_VERIFY     |
      | SECP256K1 | SIGN_VERIFY     |
      | SM2       | SIGN_VERIFY     |
      | SM2       | ENCRYPT_DECRYPT |

  @get-publickey
  Scenario Outline: the public key is the key's own: a <alg> signature by the key verifies with it
    Given alice has a key "<spec>" for "SIGN_VERIFY"
    And alice has signed the message "hello, dew" with that key using "<alg>"
    When alice gets the public key of that key
    Then the response status is 200
    And that signature verifies outside the service with the response's public_key

    Examples:
      | spec     | alg                       |
      | EC_P256  | ECDSA_SHA_256             |
      | RSA_2048 | RSASSA_PKCS1_V1_5_SHA_256 |

  @create-key
  Scenario: an elliptic-curve key cannot be made for encryption
    When alice creates a key "EC_P256" for "ENCRYPT_DECRYPT"
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0308" (unconfirmed)

  @get-publickey
  Scenario: a symmetric key has no public key
    Given alice has a key
    When alice gets the public key of that key
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0308" (unconfirmed)

  @sign @verify
  Scenario Outline: a <alg> signature by a <spec> key of a RAW message verifies outside the service and with verify
    Given alice has a key "<spec>" for "SIGN_VERIFY"
    When alice signs the message "hello, dew" with that key using "<alg>"
    Then the response status is 200
    And the response's key_id is that key's id
    And that signature verifies outside the service with the public key of that key
    When alice verifies that signature with that key
    Then the response status is 200
    And the response's signature_valid is "true"

    Examples:
      | spec      | alg                       |
      | RSA_2048  | RSASSA_PSS_SHA_256        |
      | RSA_2048  | RSASSA_PKCS1_V1_5_SHA_512 |
      | EC_P256   | ECDSA_SHA_256             |
      | EC_P384   | ECDSA_SHA_384             |
      | SECP256K1 | ECDSA_SHA_256             |

  @sign @verify
  Scenario Outline: a <alg> signature by a <spec> key of a DIGEST verifies outside the service and with verify
    Given alice has a key "<spec>" for "SIGN_VERIFY"
    When alice signs the digest of "hello, dew" with that key using "<alg>"
    Then the response status is 200
    And that signature verifies outside the service with the public key of that key
    When alice verifies that signature with that key
    Then the response status is 200
    And the response's signature_valid is "true"

    Examples:
      | spec     | alg                       |
      | RSA_2048 | RSASSA_PKCS1_V1_5_SHA_256 |
      | RSA_2048 | RSASSA_PSS_SHA_512        |
      | EC_P384  | ECDSA_SHA_512             |
      | SM2      | SM2DSA_SM3                |

  @verify
  Scenario Outline: a signature does not verify over a changed message (<alg>)
    Given alice has a key "<spec>" for "SIGN_VERIFY"
    When alice signs the digest of "hello, dew" with that key using "<alg>"
    Then the response status is 200
    When alice verifies that signature over the message "hello, dev" with that key
    Then the verification does not succeed
    And the response status is 200 (unconfirmed)
    And the response's signature_valid is "false" (unconfirmed)

    Examples:
      | spec     | alg                       |
      | RSA_2048 | RSASSA_PKCS1_V1_5_SHA_256 |
      | SM2      | SM2DSA_SM3                |

  @verify
  Scenario Outline: a changed signature does not verify (<alg>)
    Given alice has a key "<spec>" for "SIGN_VERIFY"
    When alice signs the message "hello, dew" with that key using "<alg>"
    Then the response status is 200
    When alice verifies that signature with one bit changed with that key
    Then the verification does not succeed
    And the response status is 200 (unconfirmed)
    And the response's signature_valid is "false" (unconfirmed)

    Examples:
      | spec     | alg                |
      | EC_P256  | ECDSA_SHA_256      |
      | RSA_2048 | RSASSA_PSS_SHA_256 |

  @sign
  Scenario: SM2 signs a digest only: a RAW message is refused
    Given alice has a key "SM2" for "SIGN_VERIFY"
    When alice signs the message "hello, dew" with that key using "SM2DSA_SM3"
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0308" (unconfirmed)

  @sign
  Scenario: a DIGEST shorter than the algorithm's digest is refused
    Given alice has a key "EC_P256" for "SIGN_VERIFY"
    When alice signs a digest of 20 bytes with that key using "ECDSA_SHA_256"
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0308" (unconfirmed)

  @sign
  Scenario: the signing algorithm must suit the key spec
    Given alice has a key "RSA_2048" for "SIGN_VERIFY"
    When alice signs the message "hello, dew" with that key using "ECDSA_SHA_256"
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0308" (unconfirmed)

  @sign
  Scenario: an ENCRYPT_DECRYPT key cannot sign
    Given alice has a key "RSA_2048" for "ENCRYPT_DECRYPT"
    When alice signs the message "hello, dew" with that key using "RSASSA_PSS_SHA_256"
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0334" (unconfirmed)

  @encrypt-data
  Scenario: a SIGN_VERIFY key cannot encrypt
    Given alice has a key "RSA_2048" for "SIGN_VERIFY"
    When alice encrypts "hello, dew" with that key using "RSAES_OAEP_SHA_256"
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0335" (unconfirmed)

  @sign
  Scenario: a disabled key cannot sign
    Given alice has a key "EC_P256" for "SIGN_VERIFY"
    And that key has been put in state "3"
    When alice signs the message "hello, dew" with that key using "ECDSA_SHA_256"
    Then the call is refused
    And the response status is 400
    And the error code is "KMS.0209"

  @sign
  Scenario: a key pending deletion cannot sign
    Given alice has a key "EC_P256" for "SIGN_VERIFY"
    And that key has been put in state "4"
    When alice signs the message "hello, dew" with that key using "ECDSA_SHA_256"
    Then the call is refused
    And the response status is 400
    And the error code is "KMS.0210"

  @sign @multi-user
  Scenario: a user without rights on the key cannot sign with it
    Given alice has a key "EC_P256" for "SIGN_VERIFY"
    When bob signs the message "hello, dew" with that key using "ECDSA_SHA_256"
    Then the call is refused
    And the response status is 403 (unconfirmed)
    And the error code is "KMS.0306" (unconfirmed)

  @encrypt-data @decrypt-data
  Scenario Outline: what is encrypted with a <spec> key under <alg> decrypts to the same text
    Given alice has a key "<spec>" for "ENCRYPT_DECRYPT"
    When alice encrypts "hello, dew" with that key using "<alg>"
    Then the response status is 200
    And the response's key_id is that key's id
    When alice decrypts that cipher text with that key using "<alg>"
    Then the response status is 200
    And the response's plain_text is "hello, dew"

    Examples:
      | spec     | alg                |
      | RSA_2048 | RSAES_OAEP_SHA_256 |
      | SM2      | SM2_ENCRYPT        |

  @decrypt-data
  Scenario Outline: what is encrypted outside with the public key of a <spec> key decrypts in the service
    Given alice has a key "<spec>" for "ENCRYPT_DECRYPT"
    And alice has encrypted "hello, dew" outside the service with the public key of that key
    When alice decrypts that cipher text with that key using "<alg>"
    Then the response status is 200
    And the response's plain_text is "hello, dew"

    Examples:
      | spec     | alg                |
      | RSA_2048 | RSAES_OAEP_SHA_256 |
      | SM2      | SM2_ENCRYPT        |

  @encrypt-data
  Scenario: RSAES_OAEP_SHA_256 with RSA_2048 encrypts at most 190 bytes
    Given alice has a key "RSA_2048" for "ENCRYPT_DECRYPT"
    When alice encrypts 190 bytes with that key using "RSAES_OAEP_SHA_256"
    Then the response status is 200
    When alice encrypts 191 bytes with that key using "RSAES_OAEP_SHA_256"
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0308" (unconfirmed)
