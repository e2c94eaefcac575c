@kms
Feature: Use a key: data keys, encryption and decryption (create-datakey, encrypt-data, decrypt-data)

  Only an enabled key ("2") can be used; a disabled key is refused with KMS.0209 and a key
  pending deletion with KMS.0210. create-datakey answers {"key_id", "plain_text", "cipher_text"}
  where plain_text is the hexadecimal data key (64 characters for AES_256).

  @create-datakey
  Scenario: an enabled key creates a 256-bit data key
    Given alice has a key
    When alice creates a data key with that key
    Then the response status is 200
    And the response's key_id is that key's id
    And the response's plain_text has 64 hexadecimal characters

  @encrypt-data @decrypt-data
  Scenario: what is encrypted with a key decrypts to the same text
    Given alice has a key
    When alice encrypts "hello, dew" with that key
    Then the response status is 200
    When alice decrypts that cipher text
    Then the response status is 200
    And the response's plain_text is "hello, dew"

  @encrypt-data
  Scenario: a disabled key cannot encrypt
    Given alice has a key in state "3"
    When alice encrypts "hello, dew" with that key
    Then the response status is 400
    And the error code is "KMS.0209"

  @encrypt-data
  Scenario: a key pending deletion cannot encrypt
    Given alice has a key pending deletion
    When alice encrypts "hello, dew" with that key
    Then the response status is 400
    And the error code is "KMS.0210"

  @create-datakey @multi-user
  Scenario: a user without rights and without a grant may not create a data key
    Given alice has a key
    When bob creates a data key with that key
    Then the call is refused
    And the response status is 403 (unconfirmed)
    And the error code is "KMS.0306" (unconfirmed)

  @create-datakey
  Scenario: a request without credentials is refused
    Given alice has a key
    When anonymous creates a data key with that key
    Then the response status is 401
    And the error code is "APIGW.0301"
