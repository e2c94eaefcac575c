@csms @rotate-secret
Feature: Rotate a secret now (RotateSecret)

  POST /v1/{project_id}/secrets/{secret_name}/rotate, with no body, creates a new version holding a value
  the service generates and marks it SYSCURRENT; the answer names the rotation task, which completes
  later. The page states that COMMON (shared) secrets cannot be rotated this way; it gives no code.

  Rotating the other types (RDS-FG, GaussDB-FG) needs FunctionGraph and a database, which a test
  project does not have: those scenarios run against the mock only, which completes the rotation at
  once with a random value (see mock/KNOWN_DIFFERENCES.md). The check waits for the new version with a
  bounded poll, as a client of the real service must.

  Identities: alice created the secrets; eve belongs to another project.

  Rule: a COMMON secret cannot be rotated

    Scenario: rotating a COMMON secret is refused and creates no version
      Given alice has a secret
      When alice rotates that secret
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0003" (unconfirmed)
      And that secret has 1 version
      And version "v1" of that secret holds the stages "SYSCURRENT"

    @multi-user
    Scenario: a user of another project does not see the secret in her own project
      Given alice has a secret
      When eve rotates that secret
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0005" (unconfirmed)
      And that secret has 1 version

  Rule: a rotation stores a new current version

    @mock-only
    Scenario: a database secret is rotated to a new SYSCURRENT version
      Given alice has a secret of type "RDS-FG"
      When alice rotates that secret
      Then the response status is 200
      And the response's secret_name is that secret's name
      And within a minute a new version of that secret holds "SYSCURRENT" and the former one "SYSPREVIOUS"
      And that secret has 2 versions

    @mock-only
    Scenario: a database secret pending deletion is not rotated
      Given alice has a secret of type "RDS-FG"
      When alice schedules the deletion of that secret in 7 days
      And alice rotates that secret
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0103" (unconfirmed)
      And that secret has 1 version
