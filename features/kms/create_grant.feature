@kms @create-grant
Feature: Create a grant (create-grant) and list grants (list-grants, list-retirable-grants)

  POST /v1.0/{project_id}/kms/create-grant with {"key_id", "grantee_principal", "operations": [...],
  "retiring_principal", "name"}. The answer is {"grant_id": "<64 hexadecimal characters>"}.
  The grantee may then call exactly the granted operations on that key.
  A grant must ask for something besides "create-grant" (KMS.2401); principals are user IDs
  of 1 to 64 letters and digits (KMS.2402 otherwise).

  Rule: a grant gives its grantee exactly the granted operations

    @multi-user
    Scenario: the key's creator grants a user the right to create data keys
      Given alice has a key
      When alice grants bob "create-datakey" on that key
      Then the response status is 200
      And the response's grant_id has 64 hexadecimal characters
      And that grant is listed
      And bob can create a data key with that key

    @describe-key @multi-user
    Scenario: a grant of describe-key alone does not allow creating data keys
      Given alice has a key
      And alice has granted bob "describe-key" on that key
      When bob describes that key
      Then the response status is 200
      And bob cannot create a data key with that key

    @list-retirable-grants @multi-user
    Scenario: the retiring principal finds the grant among the grants she can retire
      Given alice has a key
      And alice has granted bob "create-datakey" on that key with carol as retiring principal
      When carol lists the retirable grants
      Then the response status is 200
      And that grant is in the response (unconfirmed)

    @list-grants @multi-user
    Scenario: list-grants answers the grants of one key
      Given alice has a key
      And alice has granted bob "create-datakey" on that key
      When alice lists the grants of that key
      Then the response status is 200
      And that grant is in the response
      And the response's total is "1"

    @list-grants @multi-user
    Scenario Outline: walking the grants of a key with the limit "<limit>" finds each grant once
      Given alice has a key
      And alice has granted bob "create-datakey" on that key 3 times
      When alice lists the grants of that key with the limit "<limit>"
      Then the response status is 200
      And walking the pages of the listing finds each of the scenario's grants exactly once and the paging fields agree
      And the listing's total is its number of items, at most 1000 (unconfirmed)

      Examples:
        | limit |
        | 1     |
        | 2     |

  Rule: a grant must be meaningful

    @multi-user
    Scenario: a grant of create-grant alone is refused
      Given alice has a key
      When alice grants bob "create-grant" on that key
      Then the response status is 400
      And the error code is "KMS.2401"

    Scenario: a grantee that is not a user ID is refused
      Given alice has a key
      When alice sends to create-grant the body:
        """
        {"key_id": "{that key}", "grantee_principal": "not a user!", "operations": ["create-datakey"]}
        """
      Then the response status is 400
      And the error code is "KMS.2402"

    @multi-user
    Scenario: an operation that does not exist is refused
      Given alice has a key
      When alice grants bob "fly-to-the-moon" on that key
      Then the response status is 400
      And the error code is "KMS.0308"

    Scenario: a body without operations is refused
      Given alice has a key
      When alice sends to create-grant the body:
        """
        {"key_id": "{that key}", "grantee_principal": "b0b00000000000000000000000000000"}
        """
      Then the response status is 400
      And the error code is "KMS.0204"

    @multi-user
    Scenario: a user without rights may not grant on a key that is not hers
      Given alice has a key
      When bob grants carol "create-datakey" on that key
      Then the call is refused
      And the response status is 403 (unconfirmed)
      And the error code is "KMS.0306" (unconfirmed)
      And carol cannot create a data key with that key
