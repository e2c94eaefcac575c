@csms
Feature: Secret versions (CreateSecretVersion, ListSecretVersions, ShowSecretVersion, UpdateVersion)

  POST /v1/{project_id}/secrets/{secret_name}/versions stores a new value (exactly one of secret_string
  and secret_binary, at most 32 KB) in a new version of an ENABLED secret and answers
  {"version_metadata": {...}}. Version ids follow v1, v2, v3, ... Without version_stages the new version
  takes SYSCURRENT and the version that held SYSCURRENT gets SYSPREVIOUS; a stage named in
  version_stages leaves the version that held it (a stage names one version at a time). A secret holds
  at most 20 versions. GET .../versions lists the versions' metadata (never the values) in pages of
  `limit` after `marker`; GET .../versions/{version_id} reads one by id, or the newest with `latest`;
  PUT .../versions/{version_id} sets a version's expire_time, for an ENABLED secret only.

  The codes of the refusals (a version or secret that does not exist, a secret pending deletion or
  disabled, the 21st version) are not documented: they are marked (unconfirmed), as is whether `latest`
  follows SYSCURRENT when the newest version does not hold it.

  Identities: alice created the secrets; eve belongs to another project.

  Rule: a new version takes SYSCURRENT unless stages are given

    @create-secret-version
    Scenario: a new version takes SYSCURRENT and the former current version gets SYSPREVIOUS
      Given alice has a secret
      When alice adds a version to that secret
      Then the response status is 200
      And the response's version_metadata.id is "v2"
      And the response's version_metadata.secret_name is that secret's name
      And version "v2" of that secret holds the stages "SYSCURRENT"
      And version "v1" of that secret holds the stages "SYSPREVIOUS"
      And the stage "SYSCURRENT" of that secret names version "v2"
      And the version "latest" of that secret is "v2"
      And alice can read every version of that secret with its value

    @create-secret-version
    Scenario: with a third version SYSPREVIOUS moves on and the first version keeps no stage
      Given alice has a secret
      And alice has added 1 version to that secret
      When alice adds a version to that secret
      Then the response status is 200
      And the response's version_metadata.id is "v3"
      And version "v3" of that secret holds the stages "SYSCURRENT"
      And version "v2" of that secret holds the stages "SYSPREVIOUS"
      And version "v1" of that secret holds the stages ""
      And alice can read every version of that secret with its value

    @create-secret-version
    Scenario: a new version given stages takes them and SYSCURRENT stays where it was
      Given alice has a secret
      When alice adds a version to that secret with the stages "pending"
      Then the response status is 200
      And version "v2" of that secret holds the stages "pending"
      And version "v1" of that secret holds the stages "SYSCURRENT"
      And the stage "SYSCURRENT" of that secret names version "v1"

    @create-secret-version
    Scenario: a stage given to a new version leaves the version that held it
      Given alice has a secret
      And alice has added 1 version to that secret
      And alice has put the stage "blue" on version "v1" of that secret
      When alice adds a version to that secret with the stages "blue"
      Then the response status is 200
      And the stage "blue" of that secret names version "v3"
      And version "v1" of that secret holds the stages "SYSPREVIOUS"
      And version "v2" of that secret holds the stages "SYSCURRENT"

  Rule: the value is one of text and binary, at most 32 KB

    @create-secret-version
    Scenario: a value of 32768 characters is stored
      Given alice has a secret
      When alice adds a version to that secret with a value of 32768 characters
      Then the response status is 200
      And alice can read every version of that secret with its value

    @create-secret-version
    Scenario: a value of 32769 characters is refused
      Given alice has a secret
      When alice adds a version to that secret with a value of 32769 characters
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0002" (unconfirmed)
      And that secret has 1 version

    @create-secret-version
    Scenario: a text and a binary value together are refused
      Given alice has a secret
      When alice adds a version to that secret with both a text and a binary value
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0002" (unconfirmed)
      And that secret has 1 version

  Rule: at most 20 versions

    @create-secret-version
    Scenario: a secret never holds more than 20 versions
      Given alice has a secret
      And alice has added 19 versions to that secret
      When alice adds a version to that secret
      Then the response status is 200 (unconfirmed)
      And that secret has 20 versions

  Rule: new versions only for an ENABLED secret of one's own project

    @create-secret-version
    Scenario: a secret pending deletion gets no new version
      Given alice has a secret pending deletion
      When alice adds a version to that secret
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0103" (unconfirmed)
      When alice restores that secret
      Then that secret has 1 version

    @create-secret-version @mock-only
    Scenario: a disabled secret gets no new version
      Given alice has a secret in state "DISABLED"
      When alice adds a version to that secret
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0003" (unconfirmed)
      And that secret has 1 version

    @create-secret-version @multi-user
    Scenario: a user of another project does not see the secret in her own project
      Given alice has a secret
      When eve adds a version to that secret
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0005" (unconfirmed)
      And that secret has 1 version

  Rule: the versions are listed in pages

    @list-secret-versions
    Scenario: walking the pages of two finds every version once
      Given alice has a secret
      And alice has added 4 versions to that secret
      When alice lists the versions of that secret with the limit 2
      Then the response status is 200
      And walking the pages of the version listing finds each version of that secret exactly once

    @list-secret-versions
    Scenario: without a limit every version is listed
      Given alice has a secret
      And alice has added 1 version to that secret
      When alice lists the versions of that secret
      Then the response status is 200
      And walking the pages of the version listing finds each version of that secret exactly once

    @list-secret-versions
    Scenario: a limit of 0 is refused
      Given alice has a secret
      When alice lists the versions of that secret with the limit 0
      Then the call is refused
      And the response status is 400
      And the error code is "CSMS.0002" (unconfirmed)

    @list-secret-versions @multi-user
    Scenario: a user of another project in the secret's project is refused
      Given alice has a secret
      And eve addresses alice's project
      When eve lists the versions of that secret
      Then the call is refused
      And the response status is 403 (unconfirmed)
      And the error code is "APIGW.0302" (unconfirmed)

  Rule: a version is read by id or as latest

    @show-secret-version
    Scenario: each version is read by its id
      Given alice has a secret
      And alice has added 2 versions to that secret
      When alice reads the version "v2" of that secret
      Then the response status is 200
      And the response's version.version_metadata.id is "v2"
      And the version "latest" of that secret is "v3"
      And alice can read every version of that secret with its value

    @show-secret-version
    Scenario: latest is the newest version even when SYSCURRENT is on an older one
      Given alice has a secret
      And alice has added 1 version to that secret
      And alice has put the stage "SYSCURRENT" on version "v1" of that secret
      When alice reads the version "latest" of that secret
      Then the response status is 200
      And the response's version.version_metadata.id is "v2" (unconfirmed)

    @show-secret-version
    Scenario: a version that does not exist is refused
      Given alice has a secret
      When alice reads the version "v9" of that secret
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0005" (unconfirmed)

  Rule: the expiry of a version can be set on an ENABLED secret

    @update-secret-version
    Scenario: the expiry of a version is set
      Given alice has a secret
      When alice sets the expiry of version "v1" of that secret to 30 days ahead
      Then the response status is 200
      And the response's version_metadata.id is "v1"
      And version "v1" of that secret expires in 30 days

    @update-secret-version
    Scenario: the expiry of a version that does not exist is refused
      Given alice has a secret
      When alice sets the expiry of version "v9" of that secret to 30 days ahead
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0005" (unconfirmed)
      And version "v1" of that secret has no expiry

    @update-secret-version
    Scenario: a version of a secret pending deletion keeps its expiry
      Given alice has a secret pending deletion
      When alice sets the expiry of version "v1" of that secret to 30 days ahead
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0103" (unconfirmed)
      When alice restores that secret
      Then version "v1" of that secret has no expiry

    @update-secret-version @mock-only
    Scenario: a version of a disabled secret keeps its expiry
      Given alice has a secret in state "DISABLED"
      When alice sets the expiry of version "v1" of that secret to 30 days ahead
      Then the call is refused
      And the response status is 400 (unconfirmed)
      And the error code is "CSMS.0003" (unconfirmed)
      And version "v1" of that secret has no expiry
