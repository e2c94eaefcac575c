@csms
Feature: Version stages (ShowSecretStage, UpdateSecretStage, DeleteSecretStage)

  GET, PUT and DELETE /v1/{project_id}/secrets/{secret_name}/stages/{stage_name}. A stage name is 1 to 64
  letters, digits, `_` or `-`. A stage names one version of a secret at a time: putting it on a version
  removes it from the version that held it, and a version left without a stage is deprecated (the
  service may delete it). A secret has at most 12 stages (CSMS.0203 beyond). SYSCURRENT and SYSPREVIOUS
  are built in and cannot be deleted (CSMS.0105). PUT answers {"stage": {...}}; DELETE answers 204.

  The code for a stage or version that does not exist and for a secret pending deletion is not
  documented (unconfirmed); nor is whether moving SYSCURRENT by hand also moves SYSPREVIOUS.

  Identities: alice created the secrets; eve belongs to another project.

  Rule: a stage names one version

    @show-secret-stage
    Scenario: SYSCURRENT names the first version of a new secret
      Given alice has a secret
      When alice shows the stage "SYSCURRENT" of that secret
      Then the response status is 200
      And the response's stage.name is "SYSCURRENT"
      And the response's stage.version_id is "v1"
      And the response's stage.secret_name is that secret's name

    @show-secret-stage
    Scenario: a stage that does not exist is refused
      Given alice has a secret
      When alice shows the stage "nowhere" of that secret
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0005" (unconfirmed)

    @update-secret-stage
    Scenario: moving a stage takes it from the version that held it
      Given alice has a secret
      And alice has added 1 version to that secret
      And alice has put the stage "blue" on version "v1" of that secret
      When alice puts the stage "blue" on version "v2" of that secret
      Then the response status is 200
      And the response's stage.version_id is "v2"
      And the stage "blue" of that secret names version "v2"
      And version "v1" of that secret holds the stages "SYSPREVIOUS"
      And version "v2" of that secret holds the stages "SYSCURRENT,blue"

    @update-secret-stage
    Scenario: moving SYSCURRENT by hand leaves the newer version without a stage
      Given alice has a secret
      And alice has added 1 version to that secret
      When alice puts the stage "SYSCURRENT" on version "v1" of that secret
      Then the response status is 200
      And the stage "SYSCURRENT" of that secret names version "v1"
      And version "v2" of that secret holds the stages "" (unconfirmed)
      And alice can read every version of that secret with its value

    @update-secret-stage
    Scenario: a new stage is created on a version
      Given alice has a secret
      When alice puts the stage "green" on version "v1" of that secret
      Then the response status is 200
      And the response's stage.name is "green"
      And version "v1" of that secret holds the stages "SYSCURRENT,green"

  Rule: at most 12 stages per secret

    @update-secret-stage
    Scenario: a 13th stage is refused
      Given alice has a secret
      And alice has put the stage "s1" on version "v1" of that secret
      And alice has put the stage "s2" on version "v1" of that secret
      And alice has put the stage "s3" on version "v1" of that secret
      And alice has put the stage "s4" on version "v1" of that secret
      And alice has put the stage "s5" on version "v1" of that secret
      And alice has put the stage "s6" on version "v1" of that secret
      And alice has put the stage "s7" on version "v1" of that secret
      And alice has put the stage "s8" on version "v1" of that secret
      And alice has put the stage "s9" on version "v1" of that secret
      And alice has put the stage "s10" on version "v1" of that secret
      And alice has put the stage "s11" on version "v1" of that secret
      When alice puts the stage "s12" on version "v1" of that secret
      Then the call is refused
      And the response status is 400
      And the error code is "CSMS.0203"
      And the stage "s12" of that secret names no version

  Rule: bad input and other callers are refused

    @update-secret-stage
    Scenario: a malformed stage name is refused
      Given alice has a secret
      When alice puts the stage "bad$stage" on version "v1" of that secret
      Then the call is refused
      And the response status is 400
      And the error code is "CSMS.0002"
      And the stage "SYSCURRENT" of that secret names version "v1"

    @update-secret-stage
    Scenario: a version that does not exist gets no stage
      Given alice has a secret
      When alice puts the stage "blue" on version "v9" of that secret
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0005" (unconfirmed)
      And the stage "blue" of that secret names no version

    @update-secret-stage
    Scenario: the stages of a secret pending deletion do not move
      Given alice has a secret pending deletion
      When alice puts the stage "blue" on version "v1" of that secret
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0103" (unconfirmed)
      When alice restores that secret
      Then the stage "blue" of that secret names no version

    @update-secret-stage @multi-user
    Scenario: a user of another project does not see the secret in her own project
      Given alice has a secret
      When eve puts the stage "blue" on version "v1" of that secret
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0005" (unconfirmed)
      And the stage "blue" of that secret names no version

  Rule: custom stages can be deleted, the built-in ones cannot

    @delete-secret-stage
    Scenario: a custom stage is deleted
      Given alice has a secret
      And alice has put the stage "blue" on version "v1" of that secret
      When alice deletes the stage "blue" of that secret
      Then the response status is 204
      And the stage "blue" of that secret names no version
      And version "v1" of that secret holds the stages "SYSCURRENT"

    @delete-secret-stage
    Scenario Outline: the built-in stage <stage> cannot be deleted
      Given alice has a secret
      And alice has added 1 version to that secret
      When alice deletes the stage "<stage>" of that secret
      Then the call is refused
      And the response status is 400
      And the error code is "CSMS.0105"
      And the stage "SYSCURRENT" of that secret names version "v2"
      And the stage "SYSPREVIOUS" of that secret names version "v1"

      Examples:
        | stage       |
        | SYSCURRENT  |
        | SYSPREVIOUS |

    @delete-secret-stage
    Scenario: deleting a stage that does not exist is refused
      Given alice has a secret
      When alice deletes the stage "nowhere" of that secret
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0005" (unconfirmed)
      And the stage "SYSCURRENT" of that secret names version "v1"

    @delete-secret-stage @multi-user
    Scenario: a user of another project cannot delete a stage
      Given alice has a secret
      And alice has put the stage "blue" on version "v1" of that secret
      When eve deletes the stage "blue" of that secret
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0005" (unconfirmed)
      And the stage "blue" of that secret names version "v1"
