@kms @cancel-key-deletion
Feature: Cancel the scheduled deletion of a key (cancel-key-deletion)

  POST /v1.0/{project_id}/kms/cancel-key-deletion with {"key_id": "...", "sequence": "..."}.
  Only a key in state "4" (pending deletion) can have its deletion cancelled. The key then
  becomes "3" (disabled) and the answer is the flat {"key_id": ..., "key_state": "3"}.
  In any other state the call is refused with 400 KMS.1501 and the key does not change.
  Once the pending days have passed the key is gone (KMS.0207) and nothing can bring it back.

  Identities: alice created the keys; dave is another administrator of the same project;
  bob and carol are users of the same project without KMS rights; eve belongs to another project.

  Rule: a key pending deletion comes back disabled

    Scenario: the creator cancels the deletion of her key
      Given alice has a key pending deletion
      When alice cancels the deletion of that key
      Then the response status is 200
      And the response's key_id is that key's id
      And the response's key_state is "3"
      And the key's state is "3"
      And the key has no scheduled deletion date

    Scenario: a sequence number of 36 characters is accepted
      Given alice has a key pending deletion
      When alice cancels the deletion of that key with the sequence "919c82d4-8046-4722-9094-35c3c6524cff"
      Then the response status is 200
      And the key's state is "3"

    Scenario: a key whose deletion was cancelled can be enabled and used again
      Given alice has a key pending deletion
      When alice cancels the deletion of that key
      Then the response status is 200
      When alice enables that key
      Then the response status is 200
      And the key's state is "2"
      And alice can create a data key with that key

  Rule: only a key pending deletion can have its deletion cancelled

    Scenario Outline: a key in state "<state>" (<meaning>) is refused and does not change
      Given alice has a key in state "<state>"
      When alice cancels the deletion of that key
      Then the response status is 400
      And the error code is "KMS.1501"
      And the key's state is "<state>"

      Examples: states a client can reach
        | state | meaning                           |
        | 2     | enabled                           |
        | 3     | disabled                          |
        | 5     | pending import (origin external)  |

      @mock-only
      Examples: states only the mock can seed
        | state | meaning |
        | 7     | frozen  |

    Scenario: a second cancel is refused because the key is no longer pending deletion
      Given alice has a key pending deletion
      When alice cancels the deletion of that key
      Then the response status is 200
      When alice cancels the deletion of that key
      Then the response status is 400
      And the error code is "KMS.1501"
      And the key's state is "3"

  Rule: who may cancel

    @multi-user
    Scenario: another administrator of the same project may cancel
      Given alice has a key pending deletion
      When dave cancels the deletion of that key
      Then the response status is 200
      And the key's state is "3"

    @multi-user
    Scenario: a user without KMS rights is refused and the key stays pending deletion
      Given alice has a key pending deletion
      When bob cancels the deletion of that key
      Then the call is refused
      And the response status is 403 (unconfirmed)
      And the error code is "KMS.0306" (unconfirmed)
      And the key's state is "4"

    @multi-user
    Scenario: a grantee is refused, because no grant operation covers cancel-key-deletion
      Given alice has a key
      And alice has granted bob "describe-key,create-datakey,retire-grant" on that key
      And that key has been put in state "4"
      When bob cancels the deletion of that key
      Then the call is refused
      And the response status is 403 (unconfirmed)
      And the error code is "KMS.0306" (unconfirmed)
      And the key's state is "4"

    @multi-user
    Scenario: a user of another project does not see the key in her own project
      Given alice has a key pending deletion
      When eve cancels the deletion of that key
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "KMS.0207" (unconfirmed)
      And the key's state is "4"

    @multi-user
    Scenario: a user of another project is refused in the key's project
      Given alice has a key pending deletion
      And eve addresses alice's project
      When eve cancels the deletion of that key
      Then the call is refused
      And the response status is 403 (unconfirmed)
      And the error code is "KMS.0305" (unconfirmed)
      And the key's state is "4"

  Rule: credentials are checked by the gateway before anything else

    Scenario: a request without credentials is refused
      Given alice has a key pending deletion
      When anonymous cancels the deletion of that key
      Then the response status is 401
      And the error code is "APIGW.0301"
      And the key's state is "4"

    Scenario: a request with wrong credentials is refused
      Given alice has a key pending deletion
      And alice's credentials are wrong
      When alice cancels the deletion of that key
      Then the response status is 401
      And the error code is "APIGW.0301"
      And the key's state is "4"

  Rule: bad input is refused with the documented code

    Scenario Outline: a malformed key_id (<why>) is refused
      When alice cancels the deletion of the key "<key_id>"
      Then the response status is 400
      And the error code is "KMS.0205"

      Examples:
        | key_id                                | why           |
        | 0d0466b0-e727-4d9c-b35d-f84bb474a37   | 35 characters |
        | 0d0466b0-e727-4d9c-b35d-f84bb474a37f0 | 37 characters |
        | not-a-key-id                          | 12 characters |

    Scenario: a well-formed key_id that names no key is refused
      When alice cancels the deletion of the key "0d0466b0-e727-4d9c-b35d-f84bb474a37f"
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "KMS.0207" (unconfirmed)

    Scenario: a key_id that is a number instead of a string is an invalid key ID
      When alice sends to cancel-key-deletion the body:
        """
        {"key_id": 36}
        """
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "KMS.0205" (unconfirmed)

    Scenario: a body without key_id is refused
      When alice sends to cancel-key-deletion the body:
        """
        {"sequence": "919c82d4-8046-4722-9094-35c3c6524cff"}
        """
      Then the response status is 400
      And the error code is "KMS.0204"

    Scenario: a sequence of 37 characters is refused and the key stays pending deletion
      Given alice has a key pending deletion
      When alice cancels the deletion of that key with the sequence "919c82d4-8046-4722-9094-35c3c6524cff0"
      Then the response status is 400
      And the error code is "KMS.0206"
      And the key's state is "4"

    Scenario: a body that is not JSON is refused and the key stays pending deletion
      Given alice has a key pending deletion
      When alice sends to cancel-key-deletion the body:
        """
        {"key_id": "{that key}"
        """
      Then the response status is 400
      And the error code is "KMS.0202"
      And the key's state is "4"

    Scenario: a body that is a JSON array instead of an object is refused
      Given alice has a key pending deletion
      When alice sends to cancel-key-deletion the body:
        """
        ["{that key}"]
        """
      Then the response status is 400
      And the error code is "KMS.0202"
      And the key's state is "4"

    Scenario: a sequence that is a number instead of a string is an invalid sequence
      Given alice has a key pending deletion
      When alice sends to cancel-key-deletion the body:
        """
        {"key_id": "{that key}", "sequence": 919}
        """
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "KMS.0206" (unconfirmed)
      And the key's state is "4"

    Scenario: a body larger than the gateway accepts is refused with 413
      When alice sends to cancel-key-deletion a body of 2 MiB
      Then the response status is 413
      And the error code is "APIGW.0201"

    Scenario: a body the gateway passes but KMS finds too long is refused with KMS.0203
      When alice sends to cancel-key-deletion a body of 512 KiB
      Then the response status is 400 (unconfirmed)
      And the error code is "KMS.0203" (unconfirmed)

    Scenario: the operation exists only as POST; another method is answered by the gateway with 404
      When alice sends a GET request to cancel-key-deletion
      Then the response status is 404
      And the error code is "APIGW.0101"

  Rule: after its pending days the key is gone for good

    @mock-only
    Scenario: one day before the end of the pending days the deletion can still be cancelled
      Given alice has a key pending deletion
      When the mock's clock moves 6 days ahead for that key
      And alice cancels the deletion of that key
      Then the response status is 200
      And the key's state is "3"

    @mock-only
    Scenario: once the pending days have passed the key does not exist and cannot be cancelled
      Given alice has a key pending deletion
      When the mock's clock moves 8 days ahead for that key
      And alice describes that key
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "KMS.0207" (unconfirmed)
      When alice cancels the deletion of that key
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "KMS.0207" (unconfirmed)
