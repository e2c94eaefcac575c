@kms
Feature: Envelope encryption: data keys without plaintext, encrypt-datakey, decrypt-datakey, re-encrypt, gen-random

  A data key is encrypted under a key (create-datakey, create-datakey-without-plaintext, or the caller's
  own data key through encrypt-datakey, whose plain_text is the data key followed by its 32-byte digest)
  and opened again by decrypt-datakey under the same key, which returns the data key, its length and its
  digest. re-encrypt moves a data key to another key without the plaintext leaving the service.
  Only an enabled key can wrap or unwrap. The exact refusal codes of the data key parameters are not
  readable on the error-code page: they are unconfirmed, as is the digest algorithm (SHA-256 on the pages,
  SM3 for SM4 keys in Huawei's EncryptDatakey definition) and the byte lengths (1 to 1024, or 64).

  @create-datakey-without-plaintext @decrypt-datakey
  Scenario: a data key made without plaintext opens under its key, with a matching digest
    Given alice has a key
    When alice creates a data key without plaintext with that key
    Then the response status is 200
    And the response's key_id is that key's id
    When alice decrypts that data key with that key
    Then the response status is 200
    And the response's data_key has 64 hexadecimal characters
    And the response's datakey_length is the byte length of its data_key
    And the response's datakey_dgst is the SHA-256 of its data_key (unconfirmed)

  @create-datakey @decrypt-datakey
  Scenario: a data key of create-datakey opens byte for byte
    Given alice has a key
    And alice has a data key of that key
    When alice decrypts that data key with that key
    Then the response status is 200
    And the response's data_key is that data key
    And the response's datakey_length is "32"
    And the response's datakey_dgst is the SHA-256 of its data_key (unconfirmed)

  @encrypt-datakey @decrypt-datakey
  Scenario: a data key wrapped by encrypt-datakey opens byte for byte
    Given alice has a key
    When alice wraps a data key of 64 bytes with that key
    Then the response status is 200
    And the response's key_id is that key's id
    And the response's datakey_length is "64"
    When alice decrypts that data key with that key
    Then the response status is 200
    And the response's data_key is that data key
    And the response's datakey_dgst is the SHA-256 of its data_key (unconfirmed)

  @encrypt-datakey
  Scenario: encrypt-datakey takes a data key of 1 byte
    Given alice has a key
    When alice wraps a data key of 1 bytes with that key
    Then the response status is 200 (unconfirmed)
    And the response's datakey_length is "1" (unconfirmed)

  @encrypt-datakey
  Scenario: encrypt-datakey refuses a digest that does not match the data key
    Given alice has a key
    When alice wraps a data key of 32 bytes with a wrong digest with that key
    Then the call is refused (unconfirmed)
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0308" (unconfirmed)

  @encrypt-datakey
  Scenario: encrypt-datakey refuses a datakey_plain_length that is not the data key's
    Given alice has a key
    When alice wraps a data key of 32 bytes declared as 16 bytes with that key
    Then the call is refused (unconfirmed)
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0308" (unconfirmed)

  @decrypt-datakey
  Scenario: a data key does not open under another key
    Given alice has a key
    And alice has a data key of that key
    And alice has another key
    When alice decrypts that data key with the other key
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0308" (unconfirmed)

  @decrypt-datakey
  Scenario: a tampered data key does not open
    Given alice has a key
    And alice has a data key of that key
    And that data key has been tampered with
    When alice decrypts that data key with that key
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0308" (unconfirmed)

  @decrypt-datakey
  Scenario: a data key does not open with a wrong length
    Given alice has a key
    And alice has a data key of that key
    When alice decrypts that data key with that key and the length 16
    Then the call is refused (unconfirmed)
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0308" (unconfirmed)

  @decrypt-datakey
  Scenario: a data key bound to additional authenticated data opens only with it
    Given alice has a key
    And alice has a data key of that key bound to "order-42"
    When alice decrypts that data key with that key and the additional authenticated data "order-43"
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And alice cannot decrypt that data key with that key without additional authenticated data
    And alice can decrypt that data key with that key

  @encrypt-datakey
  Scenario: a data key wrapped with additional authenticated data needs it to open
    Given alice has a key
    When alice wraps a data key of 32 bytes with that key bound to "tenant-1"
    Then the response status is 200
    And alice cannot decrypt that data key with that key without additional authenticated data
    And alice can decrypt that data key with that key

  @decrypt-datakey
  Scenario: a disabled key cannot unwrap, and its data keys open again once it is enabled
    Given alice has a key
    And alice has a data key of that key
    And that key has been put in state "3"
    When alice decrypts that data key with that key
    Then the call is refused
    And the error code is "KMS.0209"
    When alice enables that key
    Then the response status is 200
    And alice can decrypt that data key with that key

  @decrypt-datakey
  Scenario: a key pending deletion cannot unwrap, and its data keys open again after cancelling and enabling
    Given alice has a key
    And alice has a data key of that key
    And that key has been put in state "4"
    When alice decrypts that data key with that key
    Then the call is refused
    And the error code is "KMS.0210"
    When alice cancels the deletion of that key
    Then the response status is 200
    When alice enables that key
    Then the response status is 200
    And alice can decrypt that data key with that key

  @encrypt-datakey
  Scenario: a disabled key cannot wrap
    Given alice has a key in state "3"
    When alice wraps a data key of 32 bytes with that key
    Then the call is refused
    And the error code is "KMS.0209"

  @create-datakey-without-plaintext
  Scenario: a key pending deletion cannot make a data key without plaintext
    Given alice has a key pending deletion
    When alice creates a data key without plaintext with that key
    Then the call is refused
    And the error code is "KMS.0210"

  @create-datakey-without-plaintext
  Scenario: a key pending import cannot make a data key without plaintext
    Given alice has a key in state "5"
    When alice creates a data key without plaintext with that key
    Then the call is refused
    And the response status is 400 (unconfirmed)

  @re-encrypt
  Scenario: a re-encrypted data key opens under the destination key only
    Given alice has a key
    And alice has a data key of that key
    And alice has another key
    When alice re-encrypts that data key to the other key
    Then the response status is 200
    And the response's source_key_id is that key's id
    And alice can decrypt that data key with the other key
    And alice cannot decrypt that data key with that key

  @re-encrypt
  Scenario: re-encrypt takes the source and the destination additional authenticated data
    Given alice has a key
    And alice has a data key of that key bound to "from"
    And alice has another key
    When alice re-encrypts that data key to the other key bound to "to"
    Then the response status is 200
    And alice can decrypt that data key with the other key
    And alice cannot decrypt that data key with the other key without additional authenticated data

  @re-encrypt
  Scenario: re-encrypt refuses a wrong source additional authenticated data
    Given alice has a key
    And alice has a data key of that key bound to "from"
    And alice has another key
    When alice re-encrypts that data key to the other key with the source additional authenticated data "wrong"
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And alice can decrypt that data key with that key

  @re-encrypt @multi-user
  Scenario: a user without rights and without a grant may not re-encrypt a data key
    Given alice has a key
    And alice has a data key of that key
    And alice has another key
    When bob re-encrypts that data key to the other key
    Then the call is refused
    And the response status is 403 (unconfirmed)
    And the error code is "KMS.0306" (unconfirmed)
    And alice can decrypt that data key with that key

  @encrypt-data @re-encrypt
  Scenario: an encrypt-data cipher text re-encrypts into one that decrypt-data opens
    Given alice has a key
    And alice has another key
    When alice encrypts "envelope" with that key
    Then the response status is 200
    When alice re-encrypts that cipher text to the other key
    Then the response status is 200
    When alice decrypts that cipher text
    Then the response status is 200
    And the response's plain_text is "envelope"

  @gen-random
  Scenario: gen-random returns the asked number of random bits, hexadecimal
    When alice asks for 512 random bits
    Then the response status is 200
    And the response's random_data has 128 hexadecimal characters
    And two answers of 512 random bits differ

  @gen-random
  Scenario: gen-random returns 8 bits
    When alice asks for 8 random bits
    Then the response status is 200
    And the response's random_data has 2 hexadecimal characters

  @gen-random
  Scenario: gen-random refuses a length that is not a multiple of 8
    When alice asks for 12 random bits
    Then the call is refused
    And the response status is 400 (unconfirmed)
    And the error code is "KMS.0308" (unconfirmed)

  @gen-random
  Scenario: gen-random refuses more than 8192 bits
    When alice asks for 8200 random bits
    Then the call is refused
    And the response status is 400 (unconfirmed)

  @decrypt-datakey @multi-user
  Scenario: a grantee holding only decrypt-datakey can decrypt a data key and nothing else
    Given alice has a key
    And alice has a data key of that key
    And alice has granted bob "decrypt-datakey" on that key
    When bob decrypts that data key with that key
    Then the response status is 200
    And the response's data_key is that data key
    And bob cannot create a data key with that key

  @create-datakey-without-plaintext @multi-user
  Scenario: a grantee holding only decrypt-datakey cannot make a data key without plaintext
    Given alice has a key
    And alice has granted bob "decrypt-datakey" on that key
    When bob creates a data key without plaintext with that key
    Then the call is refused
    And the response status is 403 (unconfirmed)
    And the error code is "KMS.0306" (unconfirmed)

  @encrypt-datakey @multi-user
  Scenario: a grantee holding only decrypt-datakey cannot wrap a data key
    Given alice has a key
    And alice has granted bob "decrypt-datakey" on that key
    When bob wraps a data key of 32 bytes with that key
    Then the call is refused
    And the error code is "KMS.0306" (unconfirmed)

  @gen-random @multi-user
  Scenario: a grantee holding only decrypt-datakey cannot ask for random bits
    Given alice has a key
    And alice has granted bob "decrypt-datakey" on that key
    When bob asks for 512 random bits
    Then the call is refused
    And the error code is "KMS.0306" (unconfirmed)

  @decrypt-datakey @multi-user
  Scenario: a user of another project cannot decrypt a data key
    Given alice has a key
    And alice has a data key of that key
    When eve decrypts that data key with that key
    Then the call is refused
    And alice can decrypt that data key with that key

  @decrypt-datakey
  Scenario: a request without credentials is refused
    Given alice has a key
    And alice has a data key of that key
    When anonymous decrypts that data key with that key
    Then the response status is 401
    And the error code is "APIGW.0301"
