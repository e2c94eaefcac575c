@kms @revoke-grant @multi-user
Feature: Revoke a grant (revoke-grant)

  POST /v1.0/{project_id}/kms/revoke-grant with {"key_id": "...", "grant_id": "...", "sequence": "..."}.
  Only the user who created the key may revoke its grants. A revoked grant disappears from
  list-grants and the grantee loses the rights it gave. The answer is 200 with no body.
  An unknown grant is KMS.2501; a grant that belongs to another key is KMS.2502.

  Identities: alice created the key and the grants; bob is the grantee; carol is the retiring
  principal where a scenario says so; dave is another administrator of the same project;
  eve belongs to another project.

  Background:
    Given alice has a key
    And alice has granted bob "create-datakey,describe-key" on that key with carol as retiring principal

  Rule: the key's creator revokes, and the grantee loses its rights

    Scenario: the creator revokes a grant
      Given bob can create a data key with that key
      When alice revokes that grant
      Then the response status is 200
      And that grant is not listed
      And bob cannot create a data key with that key

    Scenario: a sequence number of 36 characters is accepted
      When alice revokes that grant with the sequence "919c82d4-8046-4722-9094-35c3c6524cff"
      Then the response status is 200
      And that grant is not listed

    Scenario: a second revoke is refused because the grant no longer exists
      When alice revokes that grant
      Then the response status is 200
      When alice revokes that grant
      Then the response status is 400
      And the error code is "KMS.2501"

    Scenario: a grant that was retired can no longer be revoked
      When carol retires that grant
      Then the response status is 200
      When alice revokes that grant
      Then the response status is 400
      And the error code is "KMS.2501"

    Scenario Outline: a grant can be revoked while its key is in state "<state>" (<meaning>)
      Given that key has been put in state "<state>"
      When alice revokes that grant
      Then the response status is 200 (unconfirmed)
      And that grant is not listed (unconfirmed)
      And the key's state is "<state>"

      Examples: states a client can reach
        | state | meaning            |
        | 3     | disabled           |
        | 4     | pending deletion   |

      @mock-only
      Examples: states only the mock can seed
        | state | meaning        |
        | 5     | pending import |
        | 7     | frozen         |

  Rule: nobody but the key's creator may revoke

    Scenario Outline: <who> may not revoke, and the grant stays
      When <who> revokes that grant
      Then the call is refused
      And the response status is 403 (unconfirmed)
      And the error code is "KMS.0306" (unconfirmed)
      And that grant is listed
      And bob can create a data key with that key

      Examples:
        | who   | role                                           |
        | dave  | another administrator of the same project      |
        | bob   | the grantee                                    |
        | carol | the grant's retiring principal                 |

    Scenario: a grantee whose grant includes retire-grant still may not revoke
      Given alice has granted bob "create-datakey,retire-grant" on that key
      When bob revokes that grant
      Then the call is refused
      And the response status is 403 (unconfirmed)
      And the error code is "KMS.0306" (unconfirmed)
      And that grant is listed
      And bob can create a data key with that key

    Scenario: a user of another project does not see the key in her own project
      When eve revokes that grant
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "KMS.0207" (unconfirmed)
      And that grant is listed
      And bob can create a data key with that key

    Scenario: a user of another project is refused in the key's project
      Given eve addresses alice's project
      When eve revokes that grant
      Then the call is refused
      And the response status is 403 (unconfirmed)
      And the error code is "KMS.0305" (unconfirmed)
      And that grant is listed
      And bob can create a data key with that key

  Rule: credentials are checked by the gateway before anything else

    Scenario: a request without credentials is refused
      When anonymous revokes that grant
      Then the response status is 401
      And the error code is "APIGW.0301"
      And that grant is listed

    Scenario: a request with wrong credentials is refused
      Given alice's credentials are wrong
      When alice revokes that grant
      Then the response status is 401
      And the error code is "APIGW.0301"
      And that grant is listed

  Rule: bad input is refused with the documented code

    Scenario Outline: a malformed grant_id (<why>) is refused
      When alice revokes the grant "<grant_id>" on that key
      Then the response status is 400
      And the error code is "KMS.0308"
      And that grant is listed

      Examples:
        | grant_id                                                          | why              |
        | 7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827   | 63 characters    |
        | 7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827d0 | 65 characters    |
        | 7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827g  | not hexadecimal  |

    Scenario: a well-formed grant_id that names no grant is refused
      When alice revokes the grant "7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827d" on that key
      Then the response status is 400
      And the error code is "KMS.2501"
      And that grant is listed

    Scenario: a grant of one key cannot be revoked through another key
      Given alice has another key
      When alice revokes that grant on the other key
      Then the response status is 400
      And the error code is "KMS.2502"
      And that grant is listed

    Scenario: a malformed key_id is refused
      When alice sends to revoke-grant the body:
        """
        {"key_id": "not-a-key-id", "grant_id": "{that grant}"}
        """
      Then the response status is 400
      And the error code is "KMS.0205"
      And that grant is listed

    Scenario: a well-formed key_id that names no key is refused
      When alice sends to revoke-grant the body:
        """
        {"key_id": "0d0466b0-e727-4d9c-b35d-f84bb474a37f", "grant_id": "{that grant}"}
        """
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "KMS.0207" (unconfirmed)
      And that grant is listed
      And bob can create a data key with that key

    Scenario Outline: a body without <missing> is refused
      When alice sends to revoke-grant the body:
        """
        <body>
        """
      Then the response status is 400
      And the error code is "KMS.0204"
      And that grant is listed

      Examples:
        | missing  | body                          |
        | grant_id | {"key_id": "{that key}"}      |
        | key_id   | {"grant_id": "{that grant}"}  |

    Scenario: a sequence of 37 characters is refused
      When alice revokes that grant with the sequence "919c82d4-8046-4722-9094-35c3c6524cff0"
      Then the response status is 400
      And the error code is "KMS.0206"
      And that grant is listed

    Scenario: a body that is not JSON is refused
      When alice sends to revoke-grant the body:
        """
        {"key_id": "{that key}", "grant_id": "{that grant}"
        """
      Then the response status is 400
      And the error code is "KMS.0202"
      And that grant is listed

    Scenario: a grant_id that is a number instead of a string is an invalid parameter
      When alice sends to revoke-grant the body:
        """
        {"key_id": "{that key}", "grant_id": 7}
        """
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "KMS.0308" (unconfirmed)
      And that grant is listed
      And bob can create a data key with that key

    Scenario: a body larger than the gateway accepts is refused with 413
      When alice sends to revoke-grant a body of 2 MiB
      Then the response status is 413
      And the error code is "APIGW.0201"

    Scenario: the operation exists only as POST; another method is answered by the gateway with 404
      When alice sends a GET request to revoke-grant
      Then the response status is 404
      And the error code is "APIGW.0101"
