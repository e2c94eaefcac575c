@kms @retire-grant
Feature: Retire a grant (retire-grant)

  POST /v1.0/{project_id}/kms/retire-grant with {"key_id": "...", "grant_id": "...", "sequence": "..."}.
  Three users may retire a grant: the user who created it (its issuing principal), its
  retiring principal, and its grantee when the grant's operations include "retire-grant".
  A retired grant disappears from list-grants and the grantee loses the rights it gave.
  The answer is 200 with no body. An unknown grant is KMS.2501; a grant of another key is KMS.2502.
  That anybody else is refused, and that the grant then stays, is documented; which status and code
  the refusal carries is not (KMS.0306 or KMS.2402): only those assertions are marked (unconfirmed).
  Whether a grant of a disabled or pending-deletion key can be retired is not documented either.

  Identities: alice created the key and the grants; bob is the grantee; carol is the retiring
  principal; dave is another administrator of the same project; eve belongs to another project.

  Rule: the three principals of a grant may retire it, and the grantee loses its rights

    @multi-user
    Scenario: the retiring principal retires a grant
      Given alice has a key
      And alice has granted bob "create-datakey,describe-key" on that key with carol as retiring principal
      And bob can create a data key with that key
      When carol retires that grant
      Then the response status is 200
      And that grant is not listed
      And bob cannot create a data key with that key

    @multi-user
    Scenario: the grantee retires a grant that includes retire-grant
      Given alice has a key
      And alice has granted bob "create-datakey,retire-grant" on that key
      When bob retires that grant
      Then the response status is 200
      And that grant is not listed
      And bob cannot create a data key with that key

    @multi-user
    Scenario: the user who created the grant retires it
      Given alice has a key
      And alice has granted bob "create-datakey,describe-key" on that key
      When alice retires that grant
      Then the response status is 200
      And that grant is not listed
      And bob cannot create a data key with that key

    @multi-user
    Scenario: a sequence number of 36 characters is accepted
      Given alice has a key
      And alice has granted bob "create-datakey" on that key with carol as retiring principal
      When carol retires that grant with the sequence "919c82d4-8046-4722-9094-35c3c6524cff"
      Then the response status is 200
      And that grant is not listed

    @multi-user
    Scenario: a second retire is refused because the grant no longer exists
      Given alice has a key
      And alice has granted bob "create-datakey" on that key with carol as retiring principal
      When carol retires that grant
      Then the response status is 200
      When carol retires that grant
      Then the response status is 400
      And the error code is "KMS.2501"

    @multi-user
    Scenario: a grant that was revoked can no longer be retired
      Given alice has a key
      And alice has granted bob "create-datakey" on that key with carol as retiring principal
      When alice revokes that grant
      Then the response status is 200
      When carol retires that grant
      Then the response status is 400
      And the error code is "KMS.2501"

    @multi-user
    Scenario Outline: a grant can be retired while its key is in state "<state>" (<meaning>)
      Given alice has a key
      And alice has granted bob "create-datakey" on that key with carol as retiring principal
      And that key has been put in state "<state>"
      When carol retires that grant
      Then the response status is 200 (unconfirmed)
      And that grant is not listed (unconfirmed)
      And the key's state is "<state>"

      Examples: states a client can reach
        | state | meaning          |
        | 3     | disabled         |
        | 4     | pending deletion |

      @mock-only
      Examples: states only the mock can seed
        | state | meaning        |
        | 5     | pending import |
        | 7     | frozen         |

  Rule: nobody else may retire

    @multi-user
    Scenario: the grantee may not retire a grant that does not include retire-grant
      Given alice has a key
      And alice has granted bob "create-datakey,describe-key" on that key
      When bob retires that grant
      Then the call is refused
      And the response status is 403 (unconfirmed)
      And the error code is "KMS.0306" (unconfirmed)
      And that grant is listed
      And bob can create a data key with that key

    @multi-user
    Scenario Outline: <who> (<role>) may not retire, and the grant stays
      Given alice has a key
      And alice has granted bob "create-datakey" on that key
      When <who> retires that grant
      Then the call is refused
      And the response status is 403 (unconfirmed)
      And the error code is "KMS.0306" (unconfirmed)
      And that grant is listed
      And bob can create a data key with that key

      Examples:
        | who   | role                                                  |
        | dave  | another administrator of the same project, not named  |
        | carol | a user without rights who is not the retiring principal |

    @multi-user
    Scenario: a user of another project does not see the key in her own project
      Given alice has a key
      And alice has granted bob "create-datakey" on that key with carol as retiring principal
      When eve retires that grant
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "KMS.0207" (unconfirmed)
      And that grant is listed
      And bob can create a data key with that key

    @multi-user
    Scenario: a user of another project is refused in the key's project
      Given alice has a key
      And alice has granted bob "create-datakey" on that key with carol as retiring principal
      And eve addresses alice's project
      When eve retires that grant
      Then the call is refused
      And the response status is 403 (unconfirmed)
      And the error code is "KMS.0305" (unconfirmed)
      And that grant is listed
      And bob can create a data key with that key

  Rule: credentials are checked by the gateway before anything else

    @multi-user
    Scenario: a request without credentials is refused
      Given alice has a key
      And alice has granted bob "create-datakey" on that key with carol as retiring principal
      When anonymous retires that grant
      Then the response status is 401
      And the error code is "APIGW.0301"
      And that grant is listed

    @multi-user
    Scenario: a request with wrong credentials is refused
      Given alice has a key
      And alice has granted bob "create-datakey" on that key with carol as retiring principal
      And carol's credentials are wrong
      When carol retires that grant
      Then the response status is 401
      And the error code is "APIGW.0301"
      And that grant is listed

  Rule: bad input is refused with the documented code

    @multi-user
    Scenario Outline: a malformed grant_id (<why>) is refused
      Given alice has a key
      And alice has granted bob "create-datakey" on that key with carol as retiring principal
      When carol retires the grant "<grant_id>" on that key
      Then the response status is 400
      And the error code is "KMS.0308"
      And that grant is listed

      Examples:
        | grant_id                                                          | why             |
        | 7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827   | 63 characters   |
        | 7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827d0 | 65 characters   |
        | 7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827g  | not hexadecimal |

    Scenario: a well-formed grant_id that names no grant is refused
      Given alice has a key
      When alice retires the grant "7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827d" on that key
      Then the response status is 400
      And the error code is "KMS.2501"

    @multi-user
    Scenario: a grant of one key cannot be retired through another key
      Given alice has a key
      And alice has granted bob "create-datakey" on that key with carol as retiring principal
      And alice has another key
      When carol retires that grant on the other key
      Then the response status is 400
      And the error code is "KMS.2502"
      And that grant is listed

    @multi-user
    Scenario: a malformed key_id is refused
      Given alice has a key
      And alice has granted bob "create-datakey" on that key with carol as retiring principal
      When carol sends to retire-grant the body:
        """
        {"key_id": "not-a-key-id", "grant_id": "{that grant}"}
        """
      Then the response status is 400
      And the error code is "KMS.0205"
      And that grant is listed

    @multi-user
    Scenario: a well-formed key_id that names no key is refused
      Given alice has a key
      And alice has granted bob "create-datakey" on that key with carol as retiring principal
      When carol sends to retire-grant the body:
        """
        {"key_id": "0d0466b0-e727-4d9c-b35d-f84bb474a37f", "grant_id": "{that grant}"}
        """
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "KMS.0207" (unconfirmed)
      And that grant is listed
      And bob can create a data key with that key

    @multi-user
    Scenario Outline: a body without <missing> is refused
      Given alice has a key
      And alice has granted bob "create-datakey" on that key with carol as retiring principal
      When carol sends to retire-grant the body:
        """
        <body>
        """
      Then the response status is 400
      And the error code is "KMS.0204"
      And that grant is listed

      Examples:
        | missing  | body                         |
        | grant_id | {"key_id": "{that key}"}     |
        | key_id   | {"grant_id": "{that grant}"} |

    @multi-user
    Scenario: a sequence of 37 characters is refused
      Given alice has a key
      And alice has granted bob "create-datakey" on that key with carol as retiring principal
      When carol retires that grant with the sequence "919c82d4-8046-4722-9094-35c3c6524cff0"
      Then the response status is 400
      And the error code is "KMS.0206"
      And that grant is listed

    @multi-user
    Scenario: a body that is not JSON is refused
      Given alice has a key
      And alice has granted bob "create-datakey" on that key with carol as retiring principal
      When carol sends to retire-grant the body:
        """
        {"key_id": "{that key}", "grant_id": "{that grant}"
        """
      Then the response status is 400
      And the error code is "KMS.0202"
      And that grant is listed

    @multi-user
    Scenario: a grant_id that is a number instead of a string is an invalid parameter
      Given alice has a key
      And alice has granted bob "create-datakey" on that key with carol as retiring principal
      When carol sends to retire-grant the body:
        """
        {"key_id": "{that key}", "grant_id": 7}
        """
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "KMS.0308" (unconfirmed)
      And that grant is listed
      And bob can create a data key with that key

    @multi-user
    Scenario: a key_id that is a number instead of a string is an invalid key ID
      Given alice has a key
      And alice has granted bob "create-datakey" on that key with carol as retiring principal
      When carol sends to retire-grant the body:
        """
        {"key_id": 36, "grant_id": "{that grant}"}
        """
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "KMS.0205" (unconfirmed)
      And that grant is listed
      And bob can create a data key with that key

    Scenario: a body larger than the gateway accepts is refused with 413
      When alice sends to retire-grant a body of 2 MiB
      Then the response status is 413
      And the error code is "APIGW.0201"

    Scenario: the operation exists only as POST; another method is answered by the gateway with 404
      When alice sends a GET request to retire-grant
      Then the response status is 404
      And the error code is "APIGW.0101"
