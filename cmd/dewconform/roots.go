package main

// The image has no files but the binary, so no system certificate store: the fallback roots (Mozilla's
// set, embedded) are used when the system offers none, so that TLS to a real endpoint still verifies.
import _ "golang.org/x/crypto/x509roots/fallback"
