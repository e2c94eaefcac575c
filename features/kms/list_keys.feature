@kms @list-keys
Feature: List the keys of a project (list-keys)

  POST /v1.0/{project_id}/kms/list-keys with {"limit", "marker", "key_state", "key_spec", ...}.
  Without key_spec only AES_256 keys are listed; "ALL" lists every algorithm, so the scenarios ask for it.
  A project's listing shows its own keys and never another project's. limit is a number sent as a
  string of at most 4 characters; a longer one is refused with KMS.1601.

  A listing comes in pages: "truncated" is "true" exactly when "next_marker" is not empty, and the
  marker leads to the next page. A check that looks for a key walks every page from the answer on,
  so it finds the key however many keys the project holds; the paging scenario asks for pages of a
  third of the listing (counted first), so that it has about three pages on any project. Whether "total" counts the whole listing
  (at most 1000) is not said plainly: only grants' total is checked, and marked (unconfirmed).

  Scenario: the owner's key is listed
    Given alice has a key
    When alice lists the keys
    Then the response status is 200
    And that key is in the response

  Scenario: a key pending deletion is still listed
    Given alice has a key pending deletion
    When alice lists the keys
    Then the response status is 200
    And that key is in the response

  @multi-user
  Scenario: another administrator of the same project sees the key
    Given alice has a key
    When dave lists the keys
    Then the response status is 200
    And that key is in the response

  @multi-user
  Scenario: a user of another project does not see the key in her own project's listing
    Given alice has a key
    When eve lists the keys
    Then the response status is 200
    And that key is not in the response

  Scenario: walking the listing page by page finds each of her keys once
    Given alice has 3 keys
    When alice lists the keys in pages of a third of the listing
    Then the response status is 200
    And walking the pages of the listing finds each of the scenario's keys exactly once and the paging fields agree

  Scenario: a limit of 5 characters is refused
    When alice lists the keys with the limit "10000"
    Then the response status is 400
    And the error code is "KMS.1601"

  Scenario: a request without credentials is refused
    When anonymous lists the keys
    Then the response status is 401
    And the error code is "APIGW.0301"
