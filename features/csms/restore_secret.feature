@csms @restore-secret
Feature: Cancel the scheduled deletion of a secret (RestoreSecret)

  POST /v1/{project_id}/secrets/{secret_name}/scheduled-deleted-tasks/cancel, with no body.
  Only a secret in state PENDING_DELETE can be restored. It becomes ENABLED again, its
  scheduled_delete_time is null, and its value can be read again. The answer is {"secret": {...}}.
  In any other state the call is refused with 400 CSMS.0108 and the secret does not change.
  Once the recovery window has passed the secret is gone and cannot be restored.

  The operation takes no body, so invalid JSON and wrong JSON types do not apply to it.
  That a user without rights, or of another project, is refused and that the secret then stays
  pending deletion with its value unreadable is documented; which status and code a missing secret
  (CSMS.0005 or CSMS.0106, 400 or 404) or a refused user gets is not: only those assertions are marked
  (unconfirmed). The page describes scheduled_delete_time as null once the secret is not pending
  deletion, while its example answer shows a number: the null is marked (unconfirmed) too.

  Identities: alice created the secrets; dave is another administrator of the same project;
  bob is a user of the same project without rights; eve belongs to another project.

  Rule: a secret pending deletion comes back enabled

    Scenario: the creator restores her secret
      Given alice has a secret pending deletion
      When alice restores that secret
      Then the response status is 200
      And the response's secret.name is that secret's name
      And the response's secret.state is "ENABLED"
      And the response's secret.scheduled_delete_time is null (unconfirmed)
      And the secret's state is "ENABLED"
      And the secret has no scheduled deletion time (unconfirmed)
      And alice can read the value of that secret

  Rule: only a secret pending deletion can be restored

    Scenario Outline: a secret in state <state> is refused and does not change
      Given alice has a secret in state "<state>"
      When alice restores that secret
      Then the response status is 400
      And the error code is "CSMS.0108"
      And the secret's state is "<state>"

      Examples: states a client can reach
        | state   |
        | ENABLED |

      @mock-only
      Examples: states only the mock can seed (the API has no call that disables a secret)
        | state    |
        | DISABLED |

    Scenario: a second restore is refused because the secret is no longer pending deletion
      Given alice has a secret pending deletion
      When alice restores that secret
      Then the response status is 200
      When alice restores that secret
      Then the response status is 400
      And the error code is "CSMS.0108"
      And the secret's state is "ENABLED"

  Rule: who may restore

    @multi-user
    Scenario: another administrator of the same project may restore
      Given alice has a secret pending deletion
      When dave restores that secret
      Then the response status is 200
      And the secret's state is "ENABLED"

    @multi-user
    Scenario: a user without rights is refused and the secret stays pending deletion
      Given alice has a secret pending deletion
      When bob restores that secret
      Then the call is refused
      And the response status is 403 (unconfirmed)
      And the error code is "APIGW.0302" (unconfirmed)
      And the secret's state is "PENDING_DELETE"
      And alice cannot read the value of that secret

    @multi-user
    Scenario: a user of another project does not see the secret in her own project
      Given alice has a secret pending deletion
      When eve restores that secret
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0005" (unconfirmed)
      And the secret's state is "PENDING_DELETE"
      And alice cannot read the value of that secret

    @multi-user
    Scenario: a user of another project is refused in the secret's project
      Given alice has a secret pending deletion
      And eve addresses alice's project
      When eve restores that secret
      Then the call is refused
      And the response status is 403 (unconfirmed)
      And the error code is "APIGW.0302" (unconfirmed)
      And the secret's state is "PENDING_DELETE"
      And alice cannot read the value of that secret

  Rule: credentials are checked by the gateway before anything else

    Scenario: a request without credentials is refused
      Given alice has a secret pending deletion
      When anonymous restores that secret
      Then the response status is 401
      And the error code is "APIGW.0301"
      And the secret's state is "PENDING_DELETE"
      And alice cannot read the value of that secret

    Scenario: a request with wrong credentials is refused
      Given alice has a secret pending deletion
      And alice's credentials are wrong
      When alice restores that secret
      Then the response status is 401
      And the error code is "APIGW.0301"
      And the secret's state is "PENDING_DELETE"
      And alice cannot read the value of that secret

  Rule: bad input is refused with the documented code

    Scenario Outline: a malformed secret name (<why>) is refused
      When alice restores the secret "<name>"
      Then the response status is 400
      And the error code is "CSMS.0002"

      Examples:
        | name                                                              | why                     |
        | bad$name                                                          | a character not allowed |
        | secret.name                                                       | a dot                   |
        | a1234567890123456789012345678901234567890123456789012345678901234 | 65 characters           |

    Scenario: a well-formed name that names no secret is refused
      When alice restores the secret "dewconform-no-such-secret"
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0005" (unconfirmed)

    Scenario: without a secret name the path names no operation and the gateway answers 404
      When alice restores the secret ""
      Then the call is refused
      And the response status is 404 (unconfirmed)
      And the error code is "APIGW.0101" (unconfirmed)

    Scenario: a body larger than the gateway accepts is refused with 413
      Given alice has a secret pending deletion
      When alice sends to restore-secret a body of 2 MiB
      Then the response status is 413
      And the error code is "APIGW.0201"
      And the secret's state is "PENDING_DELETE"
      And alice cannot read the value of that secret

    Scenario: the operation exists only as POST; another method is answered by the gateway with 404
      Given alice has a secret pending deletion
      When alice sends a GET request to restore-secret
      Then the response status is 404
      And the error code is "APIGW.0101"
      And the secret's state is "PENDING_DELETE"
      And alice cannot read the value of that secret

  Rule: after its recovery window the secret is gone for good

    @mock-only
    Scenario: one day before the end of the recovery window the secret can still be restored
      Given alice has a secret pending deletion
      When the mock's clock moves 6 days ahead for that secret
      And alice restores that secret
      Then the response status is 200
      And the secret's state is "ENABLED"

    @mock-only
    Scenario: once the recovery window has passed the secret does not exist and cannot be restored
      Given alice has a secret pending deletion
      When the mock's clock moves 8 days ahead for that secret
      And alice shows that secret
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0005" (unconfirmed)
      When alice restores that secret
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0005" (unconfirmed)

  Rule: a restored secret is usable again: every version and stage comes back unchanged

    Scenario: scheduling the deletion makes every version unreadable, restoring brings them all back
      Given alice has a secret
      And alice has added 2 versions to that secret
      And alice has put the stage "blue" on version "v1" of that secret
      When alice schedules the deletion of that secret in 7 days
      Then alice cannot read any version of that secret
      When alice restores that secret
      Then the response status is 200
      And that secret has 3 versions
      And version "v3" of that secret holds the stages "SYSCURRENT"
      And version "v2" of that secret holds the stages "SYSPREVIOUS"
      And version "v1" of that secret holds the stages "blue"
      And the stage "blue" of that secret names version "v1"
      And alice can read every version of that secret with its value
