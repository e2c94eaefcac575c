@kms @create-key
Feature: Create a key (create-key) and describe it (describe-key)

  POST /v1.0/{project_id}/kms/create-key with {"key_alias": "...", "origin": "kms"|"external", ...}.
  A key made by KMS starts enabled ("2"); a key whose material is to be imported (origin
  "external") starts pending import ("5"). The answer is {"key_info": {"key_id", "domain_id"}}.
  describe-key answers {"key_info": {...}} in every state.

  Rule: a new key starts in the state its origin gives it

    Scenario: a key made by KMS starts enabled
      When alice creates a key
      Then the response status is 200
      And the key's state is "2"
      And the key has no scheduled deletion date

    Scenario: a key with external key material starts pending import
      When alice creates a key with origin "external"
      Then the response status is 200
      And the key's state is "5"

  Rule: the alias is required and constrained

    Scenario: a body without key_alias is refused
      When alice sends to create-key the body:
        """
        {"key_spec": "AES_256"}
        """
      Then the response status is 400
      And the error code is "KMS.0204"

    Scenario Outline: an alias with <why> is refused
      When alice creates a key with the alias "<alias>"
      Then the response status is 400
      And the error code is "KMS.1101"

      Examples:
        | alias          | why                     |
        | has space      | a space                 |
        | bad$alias      | a character not allowed |

    Scenario: a body that is not JSON is refused
      When alice sends to create-key the body:
        """
        {"key_alias": 
        """
      Then the response status is 400
      And the error code is "KMS.0202"

    Scenario: an unknown key_spec is refused
      When alice sends to create-key the body:
        """
        {"key_alias": "dewconform-bad-spec", "key_spec": "AES_512"}
        """
      Then the response status is 400
      And the error code is "KMS.0308"

    Scenario: a request without credentials is refused
      When anonymous creates a key
      Then the response status is 401
      And the error code is "APIGW.0301"

  @describe-key
  Rule: describe-key shows a key to those who may see it

    Scenario: a key that does not exist is not found
      When alice describes the key "0d0466b0-e727-4d9c-b35d-f84bb474a37f"
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "KMS.0207" (unconfirmed)

    Scenario: a malformed key_id is refused
      When alice describes the key "not-a-key-id"
      Then the response status is 400
      And the error code is "KMS.0205"

    @multi-user
    Scenario: a grantee with describe-key may describe the key
      Given alice has a key
      And alice has granted bob "describe-key" on that key
      When bob describes that key
      Then the response status is 200
      And the response's key_info.key_id is that key's id

    @multi-user
    Scenario: a user without rights and without a grant may not describe the key
      Given alice has a key
      When bob describes that key
      Then the call is refused
      And the response status is 403 (unconfirmed)
      And the error code is "KMS.0306" (unconfirmed)
