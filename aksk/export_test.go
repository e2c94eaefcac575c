package aksk

// Test-only access to the canonical request pieces, so the external tests
// can check them against the SDK's published vectors.
var (
	CanonicalRequest = canonicalRequest
	StringToSign     = stringToSign
)
