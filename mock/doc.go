// Package mock is a stateful reference fake of the documented Huawei KMS and CSMS APIs, not a unit-test mock.
// It keeps keys, grants and secrets in memory, follows the documented state machines, access rules
// and error codes, encrypts for real (AES-256-GCM under a per-key random key), and authenticates
// requests with IAM tokens or SDK-HMAC-SHA256 signatures of a configured set of identities.
//
// [New] returns a [Server], an http.Handler serving both services on one mux:
//
//	/v1.0/{project_id}/kms/...                 KMS (the generated gen/kms strict server)
//	/v1/{project_id}/secrets...                CSMS (the generated gen/csms strict server)
//	/_dewconform/...                           the control API, only with Options.Control
//
// Every request goes through, in order: a request id (X-Request-Id on every response), panic recovery
// (a 500 in the service's error shape), the body limit (413 APIGW.0201), the control API, credentials
// (401 APIGW.0301), the path project (403), validation against the embedded OpenAPI spec (400 with the
// service's code), and then the handler (lookup, permission, state rule). Every status and code comes
// from the one table in errors.go; the choices the documentation leaves open are [Choices], listed in
// KNOWN_DIFFERENCES.md.
//
// Layout: the HTTP side is one file per family of operations, each holding those methods of the
// generated strict servers (kms_keys.go, kms_grants.go, kms_crypto.go, csms_secrets.go,
// csms_versions.go); the store below them is split by resource (keys.go, grants.go, crypto.go,
// secrets.go). A handler refuses by returning the store's Reason as its error: refuseKMS and refuseCSMS,
// the strict servers' response-error hooks, turn it into the operation's error response.
package mock
